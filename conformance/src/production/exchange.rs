//! Sending the production cases' requests with `reqwest`, and what one request got.

use reqwest::header::HeaderMap;

use super::case::{Body, CallerRequest, Credential, TokenEndpoint};
use super::credentials::{long_room, present};
use crate::cases::TUTORIAL_BODY;
use crate::identity_provider::IdentityProvider;
use crate::server_under_test::ServerUnderTest;

/// What one request got.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) headers: HeaderMap,
    pub(super) body: String,
}

impl Answer {
    /// The header's value, if it is there and text.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// What the production cases send with: an HTTP client, the server under test, and the
/// identity provider it trusts.
pub(super) struct Caller<'a> {
    pub(super) client: &'a reqwest::Client,
    pub(super) server: &'a ServerUnderTest,
    pub(super) provider: &'a IdentityProvider,
}

impl Caller<'_> {
    /// Sends `request` as the case states it.
    pub(super) async fn send(&self, request: &CallerRequest) -> Result<Answer, String> {
        match *request {
            CallerRequest::Post {
                endpoint,
                credential,
                body,
                origin,
            } => {
                let presented = present(self.provider, credential);
                let mut headers: Vec<(&str, &str)> = Vec::new();
                if let Some((name, value)) = &presented.header {
                    headers.push((name, value));
                }
                if let Some(origin) = origin {
                    headers.push(("origin", origin));
                }
                let path = format!("{}{}", endpoint.path(), presented.query);
                self.post(&path, &headers, &body_of(endpoint, body)).await
            }
            CallerRequest::Preflight { origin } => self.preflight(origin).await,
        }
    }

    /// `POST path` as JSON, with `headers`.
    pub(super) async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<Answer, String> {
        let mut request = self
            .client
            .post(self.server.url(path))
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request).await
    }

    async fn preflight(&self, origin: &str) -> Result<Answer, String> {
        let request = self
            .client
            .request(reqwest::Method::OPTIONS, self.server.url("/token"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            );
        answer(request).await
    }
}

/// `request` as it goes out, for `conformance explain`: the credential, made when sent, is
/// described in angle brackets.
pub fn request_text(request: &CallerRequest) -> String {
    match *request {
        CallerRequest::Post {
            endpoint,
            credential,
            body,
            origin,
        } => {
            let mut text = format!("POST {}", endpoint.path());
            if credential == Credential::InQuery {
                text.push_str("?access_token=<a valid caller token>");
            }
            text.push_str(" HTTP/1.1\ncontent-type: application/json\n");
            match credential {
                Credential::Missing | Credential::InQuery => {}
                Credential::InCookie => text.push_str("cookie: <a valid caller token>\n"),
                Credential::Basic => text.push_str("authorization: Basic <user:password>\n"),
                other => text.push_str(&format!(
                    "authorization: Bearer <a caller token made when sent: {other:?}>\n"
                )),
            }
            if let Some(origin) = origin {
                text.push_str(&format!("origin: {origin}\n"));
            }
            text.push_str(&format!("\n{}\n", body_of(endpoint, body)));
            text
        }
        CallerRequest::Preflight { origin } => format!(
            "OPTIONS /token HTTP/1.1\norigin: {origin}\naccess-control-request-method: POST\n\
             access-control-request-headers: authorization, content-type\n"
        ),
    }
}

/// The bytes of `body` on `endpoint`.
fn body_of(endpoint: TokenEndpoint, body: Body) -> String {
    match body {
        Body::Tutorial => TUTORIAL_BODY.to_owned(),
        // The identities are the suite's own constants, with nothing to escape.
        Body::StandardAs(identity) => {
            format!(r#"{{"room_name":"room1","participant_identity":"{identity}"}}"#)
        }
        Body::Room1 => endpoint.body("room1"),
        Body::LongRoom => endpoint.body(&long_room()),
    }
}

/// Sends `request` and reads its whole answer.
pub(super) async fn answer(request: reqwest::RequestBuilder) -> Result<Answer, String> {
    let response = request.send().await.map_err(|err| err.to_string())?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = crate::runner::read_body(response)
        .await
        .map_err(|err| err.to_string())?;
    Ok(Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
