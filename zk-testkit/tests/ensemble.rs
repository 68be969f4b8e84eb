//! The test kit's ensemble: a quorum forms, survives the leader's death, and a frozen member
//! stops answering until thawed.

use std::time::Duration;

use zk_testkit::{Ensemble, EnsembleOptions, Mode};

#[test]
fn ensemble_elects_survives_the_leader_and_freezes() {
    let mut zk = Ensemble::start().expect("a real three-member ensemble must start");
    assert_eq!(zk.len(), 3);
    assert_eq!(zk.connect_string().split(',').count(), 3);
    let leader = zk.leader().expect("a leader");
    let followers = (0..3).filter(|&i| zk.mode(i) == Mode::Follower).count();
    assert_eq!(followers, 2);

    zk.kill(leader);
    assert!(!zk.is_running(leader));
    assert_eq!(zk.mode(leader), Mode::NotServing);
    zk.wait_for_quorum()
        .expect("the other two elect a new leader");
    let new_leader = zk.leader().expect("a new leader");
    assert_ne!(new_leader, leader);

    zk.restart(leader).expect("the old leader rejoins");
    assert_eq!(zk.mode(leader), Mode::Follower);

    let other = (0..3).find(|&i| i != new_leader).unwrap_or(0);
    zk.freeze(other).expect("SIGSTOP");
    assert!(
        zk.four_letter_word(other, "ruok").is_err(),
        "a frozen member must not answer"
    );
    zk.thaw(other);
    zk.wait_for_mode(other, Mode::Follower, Duration::from_secs(30))
        .expect("a thawed member serves again");
}

#[test]
fn a_minority_member_turns_read_only() {
    let mut zk = Ensemble::start_with(EnsembleOptions {
        read_only_mode: true,
        ..EnsembleOptions::default()
    })
    .expect("a real three-member ensemble must start");
    zk.kill(0);
    zk.kill(1);
    zk.wait_for_mode(2, Mode::ReadOnly, Duration::from_secs(30))
        .expect("the last member serves read-only");
    assert_eq!(zk.four_letter_word(2, "isro").expect("isro"), "ro");
    zk.restart(0).expect("member 0 back");
    zk.wait_for_quorum().expect("quorum again");
    assert_eq!(zk.four_letter_word(2, "isro").expect("isro"), "rw");
}
