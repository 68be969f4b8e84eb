//! The proxy forwards ZooKeeper traffic and cuts it exactly where it is told.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use zk_testkit::Proxy;

/// A server that answers every client byte with three frames: 4, 6 and 8 bytes of body.
fn framed_echo() -> std::net::SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            thread::spawn(move || {
                let mut b = [0u8; 1];
                while s.read_exact(&mut b).is_ok() {
                    let mut out = Vec::new();
                    for len in [4u32, 6, 8] {
                        out.extend_from_slice(&len.to_be_bytes());
                        out.resize(out.len() + len as usize, b[0]);
                    }
                    if s.write_all(&out).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn read_all(s: &mut TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    got
}

#[test]
fn forwards_then_cuts_mid_frame() {
    let proxy = Proxy::start(framed_echo()).expect("proxy");
    let mut c = TcpStream::connect(proxy.addr()).expect("connect");
    c.write_all(b"a").expect("write");
    let mut first = vec![0u8; 30];
    c.read_exact(&mut first).expect("three frames through");
    assert_eq!(proxy.open_connections(), 1);

    // One whole frame (4 + 4 bytes) and 7 bytes of the second (4 length + 3 body).
    assert_eq!(
        proxy.cut_after_server_frames(1, 7),
        1,
        "armed on the open connection"
    );
    c.write_all(b"b").expect("write");
    let got = read_all(&mut c);
    assert_eq!(got.len(), 15, "{got:?}");
    assert_eq!(&got[..4], &4u32.to_be_bytes());
    assert_eq!(&got[8..12], &6u32.to_be_bytes());
    assert_eq!(proxy.open_connections(), 0);
}

#[test]
fn cuts_between_frames_and_refuses() {
    let proxy = Proxy::start(framed_echo()).expect("proxy");
    let mut c = TcpStream::connect(proxy.addr()).expect("connect");
    // The cut applies to connections the proxy has taken up.
    while proxy.open_connections() == 0 {
        thread::sleep(Duration::from_millis(5));
    }
    proxy.cut_after_server_frames(2, 0);
    c.write_all(b"c").expect("write");
    assert_eq!(read_all(&mut c).len(), 8 + 10);

    proxy.set_refusing(true);
    let mut c = TcpStream::connect(proxy.addr()).expect("connect");
    let _ = c.write_all(b"d");
    assert!(
        read_all(&mut c).is_empty(),
        "a refused connection carries nothing"
    );
    proxy.set_refusing(false);
    let mut c = TcpStream::connect(proxy.addr()).expect("connect");
    c.write_all(b"e").expect("write");
    let mut all = vec![0u8; 30];
    c.read_exact(&mut all).expect("forwarding again");
    assert_eq!(proxy.connections(), 3);
}
