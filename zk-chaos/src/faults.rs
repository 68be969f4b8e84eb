//! The fault injector: every 0.5-3 s, one fault drawn from the seeded generator (kill a
//! member, kill the leader, freeze one within or past the session timeout, cut a proxy
//! mid-frame, partition a member from the clients, stall a proxy, expire a session); at the
//! deadline everything is healed.

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
        match rng.random_range(0..8) {
            0 => {
                record(format!("kill member {member}"), "kill");
                ens.kill(member);
                std::thread::sleep(Duration::from_millis(rng.random_range(500..2000)));
                let _ = ens.restart(member);
                record(format!("member {member} back"), "restart");
            }
            1 => {
                let leader = ens.leader().unwrap_or(member);
                record(format!("kill the leader (member {leader})"), "kill-leader");
                ens.kill(leader);
                std::thread::sleep(Duration::from_millis(rng.random_range(500..2000)));
                let _ = ens.restart(leader);
                record(format!("member {leader} back"), "restart");
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
                record(format!("freeze member {member} for {pause:?}"), kind);
                if ens.freeze(member).is_ok() {
                    std::thread::sleep(pause);
                    ens.thaw(member);
                }
            }
            4 => {
                let frames = rng.random_range(0..4);
                let extra = rng.random_range(0..12);
                record(
                    format!("cut proxy {member} after {frames} frames and {extra} bytes"),
                    "cut",
                );
                proxies[member].cut_after_server_frames(frames, extra);
            }
            5 => {
                let pause = Duration::from_millis(rng.random_range(500..3000));
                record(
                    format!("partition member {member} from the clients for {pause:?}"),
                    "partition",
                );
                proxies[member].set_refusing(true);
                std::thread::sleep(pause);
                proxies[member].set_refusing(false);
            }
            6 => {
                let pause = Duration::from_millis(
                    rng.random_range(500..(config.session_timeout.as_millis() as u64)),
                );
                record(format!("stall proxy {member} for {pause:?}"), "stall");
                proxies[member].set_stalled(true);
                std::thread::sleep(pause);
                proxies[member].set_stalled(false);
            }
            _ => {
                let c = rng.random_range(0..config.clients + config.lockers);
                let session = lock(&shared.sessions)[c].clone();
                if let Some((id, password)) = session {
                    record(format!("expire client {c}'s session {id:#x}"), "expire");
                    let _ = zk_testkit::expire_session(ens.addr(member), id, &password);
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
