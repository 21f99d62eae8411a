//! LiveKit's side: the API keys ([`keys`], LiveKit's key-list format in [`key_list`]), the
//! access tokens minted ([`token`]) for the tutorial request ([`request`]) and LiveKit's
//! standard endpoint ([`token_source`]), and the webhooks LiveKit signs ([`webhook`]).

pub mod key_list;
pub mod keys;
pub mod request;
pub mod token;
pub mod token_source;
pub mod webhook;
