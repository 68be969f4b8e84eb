//! The test kit starts, answers, restarts and stops a real server.

use zk_testkit::TestServer;

#[test]
fn starts_answers_restarts_and_stops() {
    let mut server = TestServer::start().expect("a real ZooKeeper must start");
    assert_eq!(server.four_letter_word("ruok").expect("ruok"), "imok");
    let srvr = server.four_letter_word("srvr").expect("srvr");
    assert!(srvr.starts_with("Zookeeper version: 3."), "{srvr}");
    let dir = server.dir().to_path_buf();
    server.restart().expect("restart");
    assert_eq!(
        server.four_letter_word("ruok").expect("ruok after restart"),
        "imok"
    );
    server.stop();
    assert!(!server.is_running());
    assert!(
        server.four_letter_word("ruok").is_err(),
        "a stopped server must not answer"
    );
    drop(server);
    assert!(!dir.exists(), "the directory is removed on drop");
}
