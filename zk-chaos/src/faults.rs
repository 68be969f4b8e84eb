//! The fault injector: every 0.5-3 s, one fault drawn from the seeded generator (kill a
//! member, kill the leader, freeze one within or past the session timeout, cut a proxy
//! mid-frame, partition a member from the clients, stall a proxy, expire a session); at the
//! deadline everything is healed. A fault is recorded when it took effect (a member that was
//! running was killed, a freeze was delivered, a session's expiry was confirmed, a cut was armed
//! on open connections), with that time; one that did nothing is not.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zk_testkit::{Ensemble, Proxy};

use crate::harness::{lock, Config, Shared};
use crate::history::Fault;

/// Injects faults until the deadline, then heals everything; returns the ensemble.
pub(crate) fn inject(
    mut ens: Ensemble,
    proxies: &[Proxy],
    shared: &Shared,
    config: Config,
    deadline: Instant,
) -> Ensemble {
    let mut rng = StdRng::seed_from_u64(config.seed.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let record = |what: String, kind: &'static str| {
        shared.history().faults.push(Fault {
            at: shared.now(),
            what,
            kind,
        });
    };
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(rng.random_range(500..3000)));
        if Instant::now() >= deadline {
            break;
        }
        let member = rng.random_range(0..3);
        let choice = rng.random_range(0..8);
        // Which member leads, for the record (an investigation wants to know).
        let leader = ens.leader().ok();
        let role = |m: usize| {
            if leader == Some(m) {
                " (the leader)"
            } else {
                ""
            }
        };
        match choice {
            0 | 1 => {
                let (target, what, kind) = match ens.leader() {
                    Ok(leader) if choice == 1 => (
                        leader,
                        format!("kill the leader (member {leader})"),
                        "kill-leader",
                    ),
                    _ => (member, format!("kill member {member}"), "kill"),
                };
                if ens.is_running(target) {
                    ens.kill(target);
                    record(what, kind);
                }
                std::thread::sleep(Duration::from_millis(rng.random_range(500..2000)));
                if ens.restart(target).is_ok() {
                    record(format!("member {target} back"), "restart");
                }
            }
            2 | 3 => {
                let long = rng.random_bool(0.5);
                let pause = if long {
                    config.session_timeout + Duration::from_secs(1)
                } else {
                    Duration::from_millis(
                        rng.random_range(300..(config.session_timeout.as_millis() as u64 / 2)),
                    )
                };
                let kind = if long {
                    "freeze-past-timeout"
                } else {
                    "freeze"
                };
                if ens.freeze(member).is_ok() {
                    record(
                        format!("freeze member {member}{} for {pause:?}", role(member)),
                        kind,
                    );
                    std::thread::sleep(pause);
                    ens.thaw(member);
                }
            }
            4 => {
                let frames = rng.random_range(0..4);
                let extra = rng.random_range(0..12);
                let armed = proxies[member].cut_after_server_frames(frames, extra);
                if armed > 0 {
                    record(
                        format!("cut proxy {member}'s {armed} connections after {frames} frames and {extra} bytes"),
                        "cut",
                    );
                }
            }
            5 => {
                let pause = Duration::from_millis(rng.random_range(500..3000));
                proxies[member].set_refusing(true);
                record(
                    format!(
                        "partition member {member}{} from the clients for {pause:?}",
                        role(member)
                    ),
                    "partition",
                );
                std::thread::sleep(pause);
                proxies[member].set_refusing(false);
            }
            6 => {
                let pause = Duration::from_millis(
                    rng.random_range(500..(config.session_timeout.as_millis() as u64)),
                );
                proxies[member].set_stalled(true);
                record(format!("stall proxy {member} for {pause:?}"), "stall");
                std::thread::sleep(pause);
                proxies[member].set_stalled(false);
            }
            _ => {
                let c = rng.random_range(0..config.clients + config.lockers);
                let session = lock(&shared.sessions)[c].clone();
                if let Some((id, password)) = session {
                    if zk_testkit::expire_session(ens.addr(member), id, &password).is_ok() {
                        record(format!("expire client {c}'s session {id:#x}"), "expire");
                    }
                }
            }
        }
    }
    for p in proxies {
        p.set_refusing(false);
        p.set_stalled(false);
    }
    for i in 0..3 {
        ens.thaw(i);
        if !ens.is_running(i) {
            let _ = ens.restart(i);
        }
    }
    let _ = ens.wait_for_quorum();
    ens
}
