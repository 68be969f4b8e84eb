//! What a new connection carries before any call: the SASL exchange (when configured), then
//! the credentials and the watches to set again (SetWatches2 batches).

use jute::{Decode, Reader};
use jute_schemas::proto::{GetSASLRequest, ReplyHeader, SetSASLResponse, SetWatches2};
use jute_schemas::protocol::{xid, OpCode};

use super::phase::Phase;
use super::{put_request, Outcome, Session, SET_WATCHES_MAX_LENGTH};
use crate::error::Error;
use crate::watch::WatchKind;

impl<T, S> Session<T, S> {
    /// Queues a SASL token (its frame's xid is `xid`).
    pub(super) fn put_sasl(&mut self, xid: i32, token: Vec<u8>) -> Result<usize, Error> {
        let body = GetSASLRequest { token: Some(token) };
        put_request(
            &mut self.first,
            xid,
            OpCode::Sasl,
            &body,
            self.cfg.max_request,
        )
    }

    /// Queues credentials (auth packets), then the watches (SetWatches2 batches), for a new
    /// connection: before any call.
    pub(super) fn queue_replay(&mut self) -> Result<(), Error> {
        // Replayed credentials: only those added while disconnected have someone waiting.
        self.auth_in_flight.clear();
        let limit = self.cfg.max_request;
        for (a, waited) in &mut self.auth {
            put_request(&mut self.first, xid::AUTH, OpCode::Auth, a, limit)?;
            self.auth_in_flight.push_back(std::mem::take(waited));
        }
        self.queue_set_watches()
    }

    /// A reply to the running SASL exchange: the next token goes out, or the exchange is
    /// complete and what waited behind it (credentials, watches, queued calls) goes out, in
    /// that order. A refusal ends the session with `AuthFailed` (the server closes the
    /// connection after it).
    pub(super) fn on_sasl_reply(
        &mut self,
        header: &ReplyHeader,
        r: &mut Reader<'_>,
    ) -> Result<Option<Outcome<T>>, Error> {
        let phase = std::mem::replace(&mut self.phase, Phase::Ended(Error::AuthFailed));
        let Phase::Authenticating {
            by,
            mut mechanism,
            link,
            closing,
            ..
        } = phase
        else {
            self.phase = phase;
            return Err(Error::protocol("a SASL reply with no exchange running"));
        };
        let fail = |why: String| {
            tracing::warn!("SASL authentication failed: {why}");
            Err(Error::AuthFailed)
        };
        if let Some(e) = Error::from_code(header.err) {
            return fail(format!("the server refused the credentials ({e})"));
        }
        let reply = SetSASLResponse::decode(r)
            .and_then(|b| r.finish().map(|()| b))
            .map_err(|e| Error::undecodable("SASL reply", e))?;
        match mechanism.step(reply.token.as_deref()) {
            Err(why) => fail(why),
            Ok(Some(token)) => {
                let xid = self.take_xid();
                self.put_sasl(xid, token)?;
                self.phase = Phase::Authenticating {
                    by,
                    xid,
                    mechanism,
                    link,
                    closing,
                };
                Ok(None)
            }
            Ok(None) => {
                // The exchange is complete: credentials and watches, then the calls.
                self.phase = self.usable(link.last_heard, link, closing);
                self.queue_replay()?;
                Ok(None)
            }
        }
    }

    /// Queues the watches to set again, as SetWatches2 batches of about
    /// [`SET_WATCHES_MAX_LENGTH`] bytes of paths each.
    fn queue_set_watches(&mut self) -> Result<(), Error> {
        let by_kind = self.watches.by_kind();
        let entries = by_kind
            .iter()
            .flat_map(|(kind, paths)| paths.iter().map(move |p| (*kind, *p)));
        // Every list is sent, empty rather than null: the server iterates all five.
        let empty = || SetWatches2 {
            relative_zxid: self.last_zxid,
            data_watches: Some(Vec::new()),
            exist_watches: Some(Vec::new()),
            child_watches: Some(Vec::new()),
            persistent_watches: Some(Vec::new()),
            persistent_recursive_watches: Some(Vec::new()),
        };
        let first = &mut self.first;
        let limit = self.cfg.max_request;
        let mut batch = empty();
        let mut size = 0;
        let mut flush = |batch: &mut SetWatches2| {
            let sent = put_request(first, xid::SET_WATCHES, OpCode::SetWatches2, &*batch, limit);
            *batch = empty();
            sent
        };
        for (kind, path) in entries {
            let list = match kind {
                WatchKind::Data => &mut batch.data_watches,
                WatchKind::Exist => &mut batch.exist_watches,
                WatchKind::Child => &mut batch.child_watches,
                WatchKind::Persistent => &mut batch.persistent_watches,
                WatchKind::PersistentRecursive => &mut batch.persistent_recursive_watches,
            };
            list.get_or_insert_with(Vec::new).push(path.to_string());
            size += path.len();
            if size >= SET_WATCHES_MAX_LENGTH {
                flush(&mut batch)?;
                size = 0;
            }
        }
        if size > 0 {
            flush(&mut batch)?;
        }
        Ok(())
    }
}
