//! Arbitrary bytes as the ensemble's dynamic configuration (`/zookeeper/config`, sent by a
//! server) through `zk_client::servers_of_config`, which `Client::track_ensemble` turns into
//! the server list: hosts or an error, never a panic; at most one host per line, none empty.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(hosts) = zk_client::servers_of_config(data) {
        let lines = data.split(|b| *b == b'\n').count();
        assert!(hosts.len() <= lines, "{} hosts from {lines} lines", hosts.len());
        assert!(hosts.iter().all(|(h, _)| !h.is_empty()));
    }
});
