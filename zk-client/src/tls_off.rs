//! Without the `tls` cargo feature: the TLS types exist, so that signatures read the same with
//! and without it, but none can be made (and no TLS code is linked).

use std::convert::Infallible;
use std::fmt;

/// How the client sets up TLS on each connection. Needs the `tls` cargo feature: without it
/// this type has no value, and [`crate::four_letter_word`] takes `None`.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    never: Infallible,
}

impl TlsOptions {
    /// What cannot happen: a value of this type.
    pub(crate) fn absent(&self) -> ! {
        match self.never {}
    }

    pub(crate) fn client_config(&self) -> Result<(), TlsFailure> {
        self.absent()
    }
}

/// Why a TLS connection could not be set up (in [`crate::Error::Tls`]); without the `tls`
/// cargo feature, no TLS connection is ever tried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFailure {}

impl fmt::Display for TlsFailure {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl std::error::Error for TlsFailure {}
