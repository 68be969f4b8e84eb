//! The physical limit of one connection: a handshake, then pre-encoded requests written in
//! batches as replies come back; replies are only split into frames and counted.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use jute::Record;
use jute_schemas::proto::{
    ConnectRequest, ExistsRequest, GetChildrenRequest, GetDataRequest, RequestHeader,
    SetDataRequest,
};
use jute_schemas::protocol::frame::{self, FrameError};
use jute_schemas::protocol::OpCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::measure::{cpu_ms, peak_rss_kb, Measurement};
use crate::scenario::{Scenario, DATA, KIDS, MISSING};

/// The frames complete at the start of `data`: how many, and where the rest starts. A length
/// that cannot be a frame is an error; a cut-off last frame waits for more bytes.
fn whole_frames(data: &[u8]) -> Result<(usize, usize), String> {
    let mut split = frame::split(data, 0);
    let mut n = 0;
    for f in split.by_ref() {
        match f {
            Ok(_) => n += 1,
            Err(FrameError::CutOff { .. } | FrameError::ShortPrefix { .. }) => break,
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok((n, split.position()))
}

fn request(s: Scenario) -> Option<Vec<u8>> {
    let (ty, body) = match s {
        Scenario::Get1k(_) => (
            OpCode::GetData,
            GetDataRequest {
                path: Some(DATA.into()),
                watch: false,
            }
            .to_vec(),
        ),
        Scenario::Set1k => (
            OpCode::SetData,
            SetDataRequest {
                path: Some(DATA.into()),
                data: Some(vec![b'y'; 1024]),
                version: -1,
            }
            .to_vec(),
        ),
        Scenario::ExistsMissing => (
            OpCode::Exists,
            ExistsRequest {
                path: Some(MISSING.into()),
                watch: false,
            }
            .to_vec(),
        ),
        Scenario::Children10k => (
            OpCode::GetChildren,
            GetChildrenRequest {
                path: Some(KIDS.into()),
                watch: false,
            }
            .to_vec(),
        ),
        _ => return None,
    };
    let mut b = RequestHeader {
        xid: 1,
        r#type: ty.value(),
    }
    .to_vec();
    b.extend_from_slice(&body);
    frame::to_vec(&b).ok()
}

/// Runs scenario `s` on a raw connection to `server`.
pub async fn run(
    s: Scenario,
    server: &str,
    warmup: Duration,
    measure: Duration,
) -> Result<Measurement, String> {
    let req = request(s).ok_or_else(|| format!("raw does not run {}", s.name()))?;
    let mut sock = TcpStream::connect(server)
        .await
        .map_err(|e| e.to_string())?;
    sock.set_nodelay(true).map_err(|e| e.to_string())?;
    let hello = ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        time_out: 30_000,
        session_id: 0,
        passwd: Some(vec![0; 16]),
        read_only: Some(false),
    }
    .to_vec();
    let hello = frame::to_vec(&hello).map_err(|e| e.to_string())?;
    sock.write_all(&hello).await.map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 1 << 20];
    let mut have = 0usize;
    // The handshake reply.
    loop {
        let n = sock
            .read(&mut buf[have..])
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed during the handshake".into());
        }
        have += n;
        let (frames, end) = whole_frames(&buf[..have])?;
        if frames > 0 {
            // The handshake reply's end (nothing else was asked for yet).
            let end = frame::split(&buf[..have], 0)
                .next()
                .and_then(Result::ok)
                .map_or(end, |f| f.end);
            buf.copy_within(end..have, 0);
            have -= end;
            break;
        }
    }
    let c = s.concurrency();
    let mut sent: VecDeque<Instant> = VecDeque::with_capacity(c);
    let batch: Vec<u8> = req.repeat(c);
    sock.write_all(&batch).await.map_err(|e| e.to_string())?;
    for _ in 0..c {
        sent.push_back(Instant::now());
    }
    let mut warmup = crate::warmup::Warmup::new(warmup);
    let mut m = Measurement::default();
    let mut t0: Option<(Instant, f64)> = None;
    let mut out = Vec::with_capacity(req.len() * c);
    loop {
        let n = sock
            .read(&mut buf[have..])
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        have += n;
        let (replies, pos) = whole_frames(&buf[..have])?;
        let replies = u64::try_from(replies).unwrap_or(u64::MAX);
        buf.copy_within(pos..have, 0);
        have -= pos;
        if 4 + have > buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let now = Instant::now();
        for _ in 0..replies {
            let t = sent.pop_front().unwrap_or(now);
            if t0.is_some() {
                m.ops += 1;
                m.latencies_us
                    .push(u32::try_from(now.duration_since(t).as_micros()).unwrap_or(u32::MAX));
            }
        }
        match t0 {
            None if warmup.done(now, replies) => {
                m.extra.push(("warmup_ms".into(), warmup.elapsed_ms(now)));
                t0 = Some((now, cpu_ms()));
            }
            Some((start, cpu0)) if now.duration_since(start) >= measure => {
                m.secs = now.duration_since(start).as_secs_f64();
                m.cpu_ms = cpu_ms() - cpu0;
                m.peak_rss_kb = peak_rss_kb();
                return Ok(m);
            }
            _ => {}
        }
        out.clear();
        for _ in 0..replies {
            out.extend_from_slice(&req);
            sent.push_back(now);
        }
        sock.write_all(&out).await.map_err(|e| e.to_string())?;
    }
}
