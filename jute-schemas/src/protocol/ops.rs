//! Each operation of the client protocol as a type ([`Operation`]): its op code, the record
//! after its request header and the record after its reply header. A client builds a request
//! and reads its reply through the operation's type, so the two can never disagree; a server
//! dispatches on the op code to the operation's type.
//!
//! ```
//! use jute_schemas::proto::GetDataRequest;
//! use jute_schemas::protocol::ops::{GetData, Operation};
//! use jute_schemas::protocol::{OpCode, RequestBody, ResponseBody};
//!
//! assert_eq!(GetData::OP, OpCode::GetData);
//! let body = GetData::request(GetDataRequest { path: Some("/a".into()), watch: false });
//! assert!(matches!(body, RequestBody::GetData(_)));
//! // A reply of another kind is handed back, never taken for this one's.
//! assert!(GetData::reply(ResponseBody::None).is_err());
//! ```

// A body of another kind is handed back whole, so that a dispatcher can try the next
// operation without a copy; the bodies are the protocol's large enums.
#![allow(clippy::result_large_err)]

use super::multi::{MultiRequest, MultiResponse};
use super::{OpCode, RequestBody, ResponseBody};
use crate::proto::*;

/// One operation: its op code, request record and reply record, and the conversions to and
/// from the protocol's body enums (what the wire decoders produce).
pub trait Operation: Send + std::marker::Sync + 'static {
    /// The op code in the request header.
    const OP: OpCode;
    /// The record after the request header (`()` when there is none).
    type Request;
    /// The record after a successful reply's header (`()` when there is none).
    type Reply;
    /// The request record as the body enum.
    fn request(req: Self::Request) -> RequestBody;
    /// The request record out of a decoded body; a body of another kind is handed back.
    fn from_request(body: RequestBody) -> Result<Self::Request, RequestBody>;
    /// The reply record as the body enum.
    fn reply_body(reply: Self::Reply) -> ResponseBody;
    /// The reply record out of a decoded body; a body of another kind is handed back.
    fn reply(body: ResponseBody) -> Result<Self::Reply, ResponseBody>;
}

macro_rules! side {
    (request None) => {
        type Request = ();
        fn request((): ()) -> RequestBody {
            RequestBody::None
        }
        fn from_request(body: RequestBody) -> Result<(), RequestBody> {
            match body {
                RequestBody::None => Ok(()),
                other => Err(other),
            }
        }
    };
    (request $v:ident($t:ty)) => {
        type Request = $t;
        fn request(req: $t) -> RequestBody {
            RequestBody::$v(req)
        }
        fn from_request(body: RequestBody) -> Result<$t, RequestBody> {
            match body {
                RequestBody::$v(r) => Ok(r),
                other => Err(other),
            }
        }
    };
    (reply None) => {
        type Reply = ();
        fn reply_body((): ()) -> ResponseBody {
            ResponseBody::None
        }
        fn reply(body: ResponseBody) -> Result<(), ResponseBody> {
            match body {
                ResponseBody::None => Ok(()),
                other => Err(other),
            }
        }
    };
    (reply $v:ident($t:ty)) => {
        type Reply = $t;
        fn reply_body(reply: $t) -> ResponseBody {
            ResponseBody::$v(reply)
        }
        fn reply(body: ResponseBody) -> Result<$t, ResponseBody> {
            match body {
                ResponseBody::$v(r) => Ok(r),
                other => Err(other),
            }
        }
    };
}

macro_rules! operations {
    ($( $(#[$m:meta])* $name:ident = $op:ident, $rq:ident $(($rqt:ty))? -> $rp:ident $(($rpt:ty))?; )*) => {
        $(
            $(#[$m])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
            pub struct $name;

            impl Operation for $name {
                const OP: OpCode = OpCode::$op;
                side!(request $rq $(($rqt))?);
                side!(reply $rp $(($rpt))?);
            }
        )*
    };
}

operations! {
    /// `create`: the path only.
    Create = Create, Create(CreateRequest) -> Create(CreateResponse);
    /// `create2`: the path and the Stat.
    Create2 = Create2, Create(CreateRequest) -> Create2(Create2Response);
    /// `createContainer`.
    CreateContainer = CreateContainer, Create(CreateRequest) -> Create2(Create2Response);
    /// `createTTL`.
    CreateTtl = CreateTtl, CreateTtl(CreateTTLRequest) -> Create2(Create2Response);
    /// `delete`.
    Delete = Delete, Delete(DeleteRequest) -> None;
    /// `deleteContainer` (a server's own; clients do not send it).
    DeleteContainer = DeleteContainer, Delete(DeleteRequest) -> None;
    /// `exists` (a missing node is the error `NONODE`).
    Exists = Exists, Exists(ExistsRequest) -> Exists(ExistsResponse);
    /// `getData`.
    GetData = GetData, GetData(GetDataRequest) -> GetData(GetDataResponse);
    /// `setData`.
    SetData = SetData, SetData(SetDataRequest) -> SetData(SetDataResponse);
    /// `getACL`.
    GetAcl = GetAcl, GetAcl(GetACLRequest) -> GetAcl(GetACLResponse);
    /// `setACL`.
    SetAcl = SetAcl, SetAcl(SetACLRequest) -> SetAcl(SetACLResponse);
    /// `getChildren`.
    GetChildren = GetChildren, GetChildren(GetChildrenRequest) -> GetChildren(GetChildrenResponse);
    /// `getChildren2`: the names and the parent's Stat.
    GetChildren2 = GetChildren2, GetChildren2(GetChildren2Request) -> GetChildren2(GetChildren2Response);
    /// `sync`.
    Sync = Sync, Sync(SyncRequest) -> Sync(SyncResponse);
    /// `check` (inside a multi only).
    Check = Check, Check(CheckVersionRequest) -> None;
    /// `multi`: writes, all or nothing.
    Multi = Multi, Multi(MultiRequest) -> Multi(MultiResponse);
    /// `multiRead`: reads, each answered on its own.
    MultiRead = MultiRead, Multi(MultiRequest) -> Multi(MultiResponse);
    /// `reconfig`: the new configuration and the Stat of `/zookeeper/config`.
    Reconfig = Reconfig, Reconfig(ReconfigRequest) -> Reconfig(GetDataResponse);
    /// `checkWatches`.
    CheckWatches = CheckWatches, CheckWatches(CheckWatchesRequest) -> None;
    /// `removeWatches`.
    RemoveWatches = RemoveWatches, RemoveWatches(RemoveWatchesRequest) -> None;
    /// `getEphemerals`.
    GetEphemerals = GetEphemerals, GetEphemerals(GetEphemeralsRequest) -> GetEphemerals(GetEphemeralsResponse);
    /// `getAllChildrenNumber`.
    GetAllChildrenNumber = GetAllChildrenNumber, GetAllChildrenNumber(GetAllChildrenNumberRequest) -> GetAllChildrenNumber(GetAllChildrenNumberResponse);
    /// `addWatch` (its reply is an `ErrorResponse`, 0 on success).
    AddWatch = AddWatch, AddWatch(AddWatchRequest) -> Error(ErrorResponse);
    /// `whoAmI`.
    WhoAmI = WhoAmI, None -> WhoAmI(WhoAmIResponse);
    /// `auth` (xid -4).
    Auth = Auth, Auth(AuthPacket) -> None;
    /// `setWatches` (xid -8; 3.5 servers).
    SetWatches = SetWatches, SetWatches(crate::proto::SetWatches) -> None;
    /// `setWatches2` (xid -8).
    SetWatches2 = SetWatches2, SetWatches2(crate::proto::SetWatches2) -> None;
    /// `sasl`.
    Sasl = Sasl, Sasl(GetSASLRequest) -> Sasl(SetSASLResponse);
    /// `ping` (xid -2).
    Ping = Ping, None -> None;
    /// `closeSession`.
    CloseSession = CloseSession, None -> None;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation's request and reply bodies are the ones the wire decoders produce for
    /// its op code.
    #[test]
    fn each_operation_matches_the_decoders() {
        fn check<O: Operation>(req: O::Request, reply: O::Reply)
        where
            O::Request: Clone + PartialEq + std::fmt::Debug,
            O::Reply: Clone + PartialEq + std::fmt::Debug,
        {
            use jute::Encode;
            let body = O::request(req.clone());
            let mut bytes = Vec::new();
            body.encode(&mut bytes);
            let header = RequestHeader {
                xid: 1,
                r#type: O::OP.value(),
            };
            let mut frame = Vec::new();
            header.encode(&mut frame);
            frame.extend_from_slice(&bytes);
            let decoded = crate::protocol::decode_request(&frame, jute::Limits::default())
                .unwrap_or_else(|e| panic!("{:?}: {e}", O::OP));
            assert_eq!(O::from_request(decoded.body), Ok(req), "{:?}", O::OP);
            let body = O::reply_body(reply.clone());
            let mut bytes = Vec::new();
            body.encode(&mut bytes);
            let mut r = jute::Reader::new(&bytes);
            let back = ResponseBody::decode(O::OP, &mut r).unwrap();
            assert_eq!(O::reply(back), Ok(reply), "{:?}", O::OP);
        }
        check::<GetData>(
            GetDataRequest {
                path: Some("/a".into()),
                watch: true,
            },
            GetDataResponse::default(),
        );
        check::<Create2>(CreateRequest::default(), Create2Response::default());
        check::<CreateTtl>(CreateTTLRequest::default(), Create2Response::default());
        check::<Delete>(DeleteRequest::default(), ());
        check::<Exists>(ExistsRequest::default(), ExistsResponse::default());
        check::<SetData>(SetDataRequest::default(), SetDataResponse::default());
        check::<GetChildren2>(
            GetChildren2Request::default(),
            GetChildren2Response::default(),
        );
        check::<Sync>(SyncRequest::default(), SyncResponse::default());
        check::<AddWatch>(AddWatchRequest::default(), ErrorResponse::default());
        check::<WhoAmI>((), WhoAmIResponse::default());
        check::<RemoveWatches>(RemoveWatchesRequest::default(), ());
        check::<GetEphemerals>(
            GetEphemeralsRequest::default(),
            GetEphemeralsResponse::default(),
        );
        check::<Reconfig>(ReconfigRequest::default(), GetDataResponse::default());
    }

    #[test]
    fn a_reply_of_another_kind_is_handed_back() {
        let other = ResponseBody::Sync(SyncResponse::default());
        assert_eq!(GetData::reply(other.clone()), Err(other));
        assert!(Delete::reply(ResponseBody::Exists(ExistsResponse::default())).is_err());
    }
}
