//! Client-to-server frames after the handshake: `RequestHeader` and the record its type implies.

use jute::{Decode, DecodeError, DecodeErrorKind, Encode, Limits, Reader, ToValue, Value};

use super::multi::MultiRequest;
use super::{body_enum, OpCode};
use crate::proto::*;

body_enum! {
    /// The record after a `RequestHeader`, chosen by its type.
    RequestBody {
        /// create, create2 and createContainer (the header's type tells which).
        Create(CreateRequest),
        /// createTTL.
        CreateTtl(CreateTTLRequest),
        /// delete and deleteContainer.
        Delete(DeleteRequest),
        /// exists.
        Exists(ExistsRequest),
        /// getData.
        GetData(GetDataRequest),
        /// setData.
        SetData(SetDataRequest),
        /// getACL.
        GetAcl(GetACLRequest),
        /// setACL.
        SetAcl(SetACLRequest),
        /// getChildren.
        GetChildren(GetChildrenRequest),
        /// getChildren2.
        GetChildren2(GetChildren2Request),
        /// sync.
        Sync(SyncRequest),
        /// check (valid only inside a multi).
        Check(CheckVersionRequest),
        /// multi and multiRead.
        Multi(MultiRequest),
        /// reconfig.
        Reconfig(ReconfigRequest),
        /// checkWatches.
        CheckWatches(CheckWatchesRequest),
        /// removeWatches.
        RemoveWatches(RemoveWatchesRequest),
        /// auth (xid -4).
        Auth(AuthPacket),
        /// setWatches (xid -8).
        SetWatches(SetWatches),
        /// setWatches2 (xid -8).
        SetWatches2(SetWatches2),
        /// sasl.
        Sasl(GetSASLRequest),
        /// getEphemerals.
        GetEphemerals(GetEphemeralsRequest),
        /// getAllChildrenNumber.
        GetAllChildrenNumber(GetAllChildrenNumberRequest),
        /// addWatch.
        AddWatch(AddWatchRequest),
    }
}

impl RequestBody {
    /// The node path the request names (`getEphemerals`: its prefix), or `None` for requests
    /// without one (multi, reconfig, auth, setWatches, sasl, and those without a body).
    pub fn path(&self) -> Option<&str> {
        match self {
            RequestBody::Create(r) => r.path.as_deref(),
            RequestBody::CreateTtl(r) => r.path.as_deref(),
            RequestBody::Delete(r) => r.path.as_deref(),
            RequestBody::Exists(r) => r.path.as_deref(),
            RequestBody::GetData(r) => r.path.as_deref(),
            RequestBody::SetData(r) => r.path.as_deref(),
            RequestBody::GetAcl(r) => r.path.as_deref(),
            RequestBody::SetAcl(r) => r.path.as_deref(),
            RequestBody::GetChildren(r) => r.path.as_deref(),
            RequestBody::GetChildren2(r) => r.path.as_deref(),
            RequestBody::Sync(r) => r.path.as_deref(),
            RequestBody::Check(r) => r.path.as_deref(),
            RequestBody::CheckWatches(r) => r.path.as_deref(),
            RequestBody::RemoveWatches(r) => r.path.as_deref(),
            RequestBody::GetEphemerals(r) => r.prefix_path.as_deref(),
            RequestBody::GetAllChildrenNumber(r) => r.path.as_deref(),
            RequestBody::AddWatch(r) => r.path.as_deref(),
            RequestBody::Multi(_)
            | RequestBody::Reconfig(_)
            | RequestBody::Auth(_)
            | RequestBody::SetWatches(_)
            | RequestBody::SetWatches2(_)
            | RequestBody::Sasl(_)
            | RequestBody::None => None,
        }
    }

    /// Reads the body of a request of type `op` (also used for the ops inside a multi).
    pub fn decode(op: OpCode, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        fn rec<'de, T: Decode<'de>>(r: &mut Reader<'de>) -> Result<T, DecodeError> {
            T::decode(r)
        }
        Ok(match op {
            OpCode::Create | OpCode::Create2 | OpCode::CreateContainer => {
                RequestBody::Create(rec(r)?)
            }
            OpCode::CreateTtl => RequestBody::CreateTtl(rec(r)?),
            OpCode::Delete | OpCode::DeleteContainer => RequestBody::Delete(rec(r)?),
            OpCode::Exists => RequestBody::Exists(rec(r)?),
            OpCode::GetData => RequestBody::GetData(rec(r)?),
            OpCode::SetData => RequestBody::SetData(rec(r)?),
            OpCode::GetAcl => RequestBody::GetAcl(rec(r)?),
            OpCode::SetAcl => RequestBody::SetAcl(rec(r)?),
            OpCode::GetChildren => RequestBody::GetChildren(rec(r)?),
            OpCode::GetChildren2 => RequestBody::GetChildren2(rec(r)?),
            OpCode::Sync => RequestBody::Sync(rec(r)?),
            OpCode::Check => RequestBody::Check(rec(r)?),
            OpCode::Multi | OpCode::MultiRead => RequestBody::Multi(MultiRequest::decode(r)?),
            OpCode::Reconfig => RequestBody::Reconfig(rec(r)?),
            OpCode::CheckWatches => RequestBody::CheckWatches(rec(r)?),
            OpCode::RemoveWatches => RequestBody::RemoveWatches(rec(r)?),
            OpCode::Auth => RequestBody::Auth(rec(r)?),
            OpCode::SetWatches => RequestBody::SetWatches(rec(r)?),
            OpCode::SetWatches2 => RequestBody::SetWatches2(rec(r)?),
            OpCode::Sasl => RequestBody::Sasl(rec(r)?),
            OpCode::GetEphemerals => RequestBody::GetEphemerals(rec(r)?),
            OpCode::GetAllChildrenNumber => RequestBody::GetAllChildrenNumber(rec(r)?),
            OpCode::AddWatch => RequestBody::AddWatch(rec(r)?),
            OpCode::Ping | OpCode::WhoAmI | OpCode::CloseSession => RequestBody::None,
            OpCode::Notification | OpCode::CreateSession | OpCode::Error => {
                return Err(r.error(DecodeErrorKind::Invalid(format!(
                    "{} is not a request type",
                    op.name()
                ))))
            }
        })
    }
}

/// A request frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// xid and type.
    pub header: RequestHeader,
    /// The record the type implies.
    pub body: RequestBody,
}

impl Request {
    /// The op code, or the unknown value.
    pub fn op(&self) -> Result<OpCode, DecodeErrorKind> {
        OpCode::try_from(self.header.r#type)
    }
}

impl Encode for Request {
    fn encode<B: jute::bytes::BufMut + ?Sized>(&self, buf: &mut B) {
        self.header.encode(buf);
        self.body.encode(buf);
    }
    fn encoded_len(&self) -> usize {
        self.header.encoded_len() + self.body.encoded_len()
    }
}

impl ToValue for Request {
    fn to_value(&self) -> Value {
        Value::Record(vec![
            ("header".into(), self.header.to_value()),
            ("body".into(), self.body.to_value()),
        ])
    }
}

/// Decodes a whole request frame (not the handshake, which is a bare `ConnectRequest`).
///
/// Unknown op codes and bytes left after the body are errors.
pub fn decode_request(frame: &[u8], limits: Limits) -> Result<Request, DecodeError> {
    let mut r = Reader::with_limits(frame, limits);
    let header = RequestHeader::decode(&mut r)?;
    let at = r.position();
    let op = OpCode::try_from(header.r#type).map_err(|k| DecodeError::new(k, at - 4))?;
    let body = RequestBody::decode(op, &mut r).map_err(|e| e.within(op.name(), None))?;
    r.finish().map_err(|e| e.within(op.name(), None))?;
    Ok(Request { header, body })
}
