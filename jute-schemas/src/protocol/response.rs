//! Server-to-client frames after the handshake: `ReplyHeader` and the record the request's type
//! (found by xid) implies; notifications and special xids.

use jute::{Decode, DecodeError, DecodeErrorKind, Encode, Limits, Reader, ToValue, Value};

use super::multi::MultiResponse;
use super::{body_enum, xid, OpCode};
use crate::proto::*;

body_enum! {
    /// The record after a `ReplyHeader`.
    ResponseBody {
        /// create.
        Create(CreateResponse),
        /// create2, createContainer, createTTL.
        Create2(Create2Response),
        /// exists.
        Exists(ExistsResponse),
        /// getData.
        GetData(GetDataResponse),
        /// setData.
        SetData(SetDataResponse),
        /// getACL.
        GetAcl(GetACLResponse),
        /// setACL.
        SetAcl(SetACLResponse),
        /// getChildren.
        GetChildren(GetChildrenResponse),
        /// getChildren2.
        GetChildren2(GetChildren2Response),
        /// sync.
        Sync(SyncResponse),
        /// multi and multiRead (the header's error is 0 even when the multi failed).
        Multi(MultiResponse),
        /// reconfig: the new configuration and the stat of `/zookeeper/config`.
        Reconfig(GetDataResponse),
        /// sasl.
        Sasl(SetSASLResponse),
        /// getEphemerals.
        GetEphemerals(GetEphemeralsResponse),
        /// getAllChildrenNumber.
        GetAllChildrenNumber(GetAllChildrenNumberResponse),
        /// addWatch (always 0 on success), and the error result inside a multi.
        Error(ErrorResponse),
        /// whoAmI.
        WhoAmI(WhoAmIResponse),
        /// A watch notification (xid -1).
        Notification(WatcherEvent),
        /// Bytes after an error header, which readers ignore (kept so the frame re-encodes
        /// exactly).
        Ignored(RawBytes),
    }
}

/// Bytes kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawBytes(pub Vec<u8>);

impl Encode for RawBytes {
    fn encode<B: jute::bytes::BufMut + ?Sized>(&self, buf: &mut B) {
        buf.put_slice(&self.0);
    }
    fn encoded_len(&self) -> usize {
        self.0.len()
    }
}

impl ToValue for RawBytes {
    fn to_value(&self) -> Value {
        Value::Buffer(self.0.clone())
    }
}

impl ResponseBody {
    /// Reads the success body of a reply to a request of type `op` (also used inside multi).
    pub fn decode(op: OpCode, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        fn rec<'de, T: Decode<'de>>(r: &mut Reader<'de>) -> Result<T, DecodeError> {
            T::decode(r)
        }
        Ok(match op {
            OpCode::Create => ResponseBody::Create(rec(r)?),
            OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => {
                ResponseBody::Create2(rec(r)?)
            }
            OpCode::Exists => ResponseBody::Exists(rec(r)?),
            OpCode::GetData => ResponseBody::GetData(rec(r)?),
            OpCode::SetData => ResponseBody::SetData(rec(r)?),
            OpCode::GetAcl => ResponseBody::GetAcl(rec(r)?),
            OpCode::SetAcl => ResponseBody::SetAcl(rec(r)?),
            OpCode::GetChildren => ResponseBody::GetChildren(rec(r)?),
            OpCode::GetChildren2 => ResponseBody::GetChildren2(rec(r)?),
            OpCode::Sync => ResponseBody::Sync(rec(r)?),
            OpCode::Multi | OpCode::MultiRead => ResponseBody::Multi(MultiResponse::decode(r)?),
            OpCode::Reconfig => ResponseBody::Reconfig(rec(r)?),
            OpCode::Sasl => ResponseBody::Sasl(rec(r)?),
            OpCode::GetEphemerals => ResponseBody::GetEphemerals(rec(r)?),
            OpCode::GetAllChildrenNumber => ResponseBody::GetAllChildrenNumber(rec(r)?),
            OpCode::AddWatch | OpCode::Error => ResponseBody::Error(rec(r)?),
            OpCode::WhoAmI => ResponseBody::WhoAmI(rec(r)?),
            OpCode::Notification => ResponseBody::Notification(rec(r)?),
            OpCode::Delete
            | OpCode::DeleteContainer
            | OpCode::Check
            | OpCode::CheckWatches
            | OpCode::RemoveWatches
            | OpCode::Ping
            | OpCode::Auth
            | OpCode::SetWatches
            | OpCode::SetWatches2
            | OpCode::CloseSession
            | OpCode::CreateSession => ResponseBody::None,
        })
    }
}

/// A reply frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// xid, zxid and error code.
    pub header: ReplyHeader,
    /// The record, when there is one.
    pub body: ResponseBody,
}

impl Encode for Response {
    fn encode<B: jute::bytes::BufMut + ?Sized>(&self, buf: &mut B) {
        self.header.encode(buf);
        self.body.encode(buf);
    }
    fn encoded_len(&self) -> usize {
        self.header.encoded_len() + self.body.encoded_len()
    }
}

impl ToValue for Response {
    fn to_value(&self) -> Value {
        Value::Record(vec![
            ("header".into(), self.header.to_value()),
            ("body".into(), self.body.to_value()),
        ])
    }
}

/// Decodes a whole reply frame (not the handshake's bare `ConnectResponse`).
///
/// `request_op` is the type of the request with the same xid; it is not needed for
/// notifications (xid -1), pings (-2), auth (-4) and setWatches (-8) replies. The body is read
/// only when the header's error is 0; bytes after an error header are kept as
/// [`ResponseBody::Ignored`].
pub fn decode_response(
    frame: &[u8],
    request_op: Option<OpCode>,
    limits: Limits,
) -> Result<Response, DecodeError> {
    let mut r = Reader::with_limits(frame, limits);
    let header = ReplyHeader::decode(&mut r)?;
    let op = match header.xid {
        xid::NOTIFICATION => OpCode::Notification,
        xid::PING => OpCode::Ping,
        xid::AUTH => OpCode::Auth,
        xid::SET_WATCHES => OpCode::SetWatches2,
        _ => request_op.ok_or_else(|| {
            DecodeError::new(
                DecodeErrorKind::Invalid(format!("no request is waiting for xid {}", header.xid)),
                0,
            )
        })?,
    };
    let body = if header.err != 0 {
        if r.is_empty() {
            ResponseBody::None
        } else {
            ResponseBody::Ignored(RawBytes(r.take(r.remaining())?.to_vec()))
        }
    } else {
        ResponseBody::decode(op, &mut r).map_err(|e| e.within(op.name(), None))?
    };
    r.finish().map_err(|e| e.within(op.name(), None))?;
    Ok(Response { header, body })
}
