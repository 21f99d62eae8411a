//! The caller of a token endpoint in production mode, as production's [`Admission`] says,
//! counted against its own quota and, when refused, against its client's failure limit.
//!
//! [`Admission`]: crate::production::Admission

use crate::http::contract::{ContractError, Endpoint};
use crate::http::head::RequestHead;
use crate::production::caller_auth::Caller;
use crate::service::token_service::TokenService;

impl TokenService {
    /// In production mode, the caller of a token endpoint, authenticated by its bearer
    /// token: 401 (or 429 past the failure limit) without a valid one, 503 without keys to
    /// verify it with. `None` in tutorial mode and for the other endpoints.
    pub(super) async fn authenticate(
        &self,
        endpoint: Endpoint,
        head: &RequestHead<'_>,
    ) -> Result<Option<Caller>, ContractError> {
        let Some(production) = &self.inner.production else {
            return Ok(None);
        };
        if !matches!(endpoint, Endpoint::Token | Endpoint::TokenSource) {
            return Ok(None);
        }
        match production.authenticate(head).await {
            Ok(caller) => {
                production.check_identity(&caller)?;
                self.inner
                    .limits
                    .check_caller(&caller.identity, head)
                    .await?;
                Ok(Some(caller))
            }
            Err(err) => {
                if let ContractError::Unauthenticated(failure) = &err {
                    tracing::info!(reason = %failure, "caller not authenticated");
                }
                Err(self.count_failure(head, err).await)
            }
        }
    }
}
