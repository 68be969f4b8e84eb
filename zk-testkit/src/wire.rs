//! ZooKeeper's framing for the test kit's own connections: a 4-byte big-endian length, then
//! the frame.

use std::io::Read;
use std::net::TcpStream;

use crate::Error;

/// The largest frame the test kit reads (ZooKeeper's default `jute.maxbuffer` and some room).
pub const MAX_FRAME: usize = 4 << 20;

/// `body` with its length prefix.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Reads one frame (without its prefix); `ctx` names the conversation in errors.
pub fn read_frame(s: &mut TcpStream, ctx: &str) -> Result<Vec<u8>, Error> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)
        .map_err(Error::io(format!("{ctx}: reading a frame")))?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(Error::Io {
            context: format!("{ctx}: frame of {len} bytes, over {MAX_FRAME}"),
            source: std::io::ErrorKind::InvalidData.into(),
        });
    }
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)
        .map_err(Error::io(format!("{ctx}: reading a frame")))?;
    Ok(body)
}
