//! Minting: the tutorial contract's token for anyone, production's for an authenticated
//! caller under the policy, for `POST /token` and LiveKit's standard endpoint.

use std::time::SystemTime;

use crate::http::auth_failure::AuthFailure;
use crate::http::contract::ContractError;
use crate::livekit::request::TokenRequest;
use crate::livekit::token_source::{SourceFields, SourceRequest};
use crate::production::caller_auth::Caller;
use crate::production::policy::{Asked, GrantPreset};
use crate::service::token_service::TokenService;

impl TokenService {
    /// Validates a token request and mints its token: the whole contract of `POST /token`
    /// in tutorial mode.
    pub fn mint(&self, content_type: Option<&[u8]>, body: &[u8]) -> Result<String, ContractError> {
        self.mint_to(content_type, body, None)
    }

    /// [`TokenService::mint`] for `caller`, authenticated in production mode: the identity is
    /// the caller's, `participantName` the display name, the room and grants the policy's.
    pub(super) fn mint_to(
        &self,
        content_type: Option<&[u8]>,
        body: &[u8],
        caller: Option<&Caller>,
    ) -> Result<String, ContractError> {
        let request = TokenRequest::parse(content_type, body)?;
        let minter = &self.inner.minter;
        let now = SystemTime::now();
        let jwt = match (caller, &self.inner.production) {
            (Some(caller), Some(production)) => {
                let asked = Asked {
                    room: Some(&request.room_name),
                    room_field: "roomName",
                    ..Asked::default()
                };
                let grants = production.judge(caller, &asked)?;
                minter.mint_for_caller(&caller.identity, &request, grants, now)
            }
            // Production mode never mints without a caller, whoever calls this.
            (None, Some(_)) => return Err(ContractError::Unauthenticated(AuthFailure::Missing)),
            (_, None) => minter.mint(&request, now),
        };
        jwt.map_err(|_| ContractError::Internal)
    }

    /// Validates a standard endpoint request and mints its token in tutorial mode; the
    /// request comes back with the names it was given or generated.
    pub fn mint_source(
        &self,
        content_type: Option<&[u8]>,
        body: &[u8],
    ) -> Result<(SourceRequest, String), ContractError> {
        self.mint_source_to(content_type, body, None)
    }

    /// [`TokenService::mint_source`] for `caller`, authenticated in production mode: the
    /// identity is the caller's, the room must be named (unless the policy generates names)
    /// and allowed, and what the client sets must pass the policy.
    pub(super) fn mint_source_to(
        &self,
        content_type: Option<&[u8]>,
        body: &[u8],
        caller: Option<&Caller>,
    ) -> Result<(SourceRequest, String), ContractError> {
        let fields = SourceFields::parse(content_type, body, &self.inner.field_policy)?;
        let (request, grants) = match (caller, &self.inner.production) {
            (Some(caller), Some(production)) => {
                let asked = Asked {
                    room: fields.room_name.as_deref(),
                    room_field: "room_name",
                    identity: fields.participant_identity.as_deref(),
                    metadata: fields.participant_metadata.as_deref(),
                    attributes_bytes: fields.attributes_bytes(),
                    room_config: fields.room_config.as_ref(),
                };
                let grants = production.judge(caller, &asked)?;
                let own = SourceFields {
                    participant_identity: Some(caller.identity.clone()),
                    ..fields
                };
                (own.completed(random_u64), grants)
            }
            // Production mode never mints without a caller, whoever calls this.
            (None, Some(_)) => return Err(ContractError::Unauthenticated(AuthFailure::Missing)),
            (_, None) => (fields.completed(random_u64), GrantPreset::Publisher.into()),
        };
        let jwt = self
            .inner
            .minter
            .mint_source(&request, grants, SystemTime::now())
            .map_err(|_| ContractError::Internal)?;
        Ok((request, jwt))
    }
}

/// 64 random bits for generated room names and identities, from the operating system. Should
/// it ever fail, the clock's nanoseconds still make names unique enough to join.
fn random_u64() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_nanos() as u64)
    })
}
