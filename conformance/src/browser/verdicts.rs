//! Judging what the page saw: one verdict per browser case, from the JSON the page returned.

use serde_json::Value;

use crate::case::Finding;
use crate::cases::NAMES_REQUIRED;
use crate::harm::Defect;
use crate::harm::Level;
use crate::judge::judge_token;
use crate::server_under_test::{ResponseFormat, ServerUnderTest};

/// The room and participant the page asks a token for; `page.html` spells them out too.
pub(super) const ROOM: &str = "room1";
pub(super) const IDENTITY: &str = "alice";

/// A JSON value as text, strings without their quotes.
pub(super) fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

fn shorten(text: &str) -> String {
    let short: String = text.chars().take(80).collect();
    format!("{short:?}")
}

/// What keeps the page from reading an answer: for these cases, the browser's CORS
/// enforcement is what is checked.
fn blocked(reason: impl Into<String>) -> Finding {
    Finding::new(Defect::CorsBlocked, reason)
}

/// The first MUST finding on the token the page read: the `token/` cases judge the rest.
fn token_refused(jwt: &str, server: &ServerUnderTest) -> Result<(), Finding> {
    match judge_token(jwt, ROOM, IDENTITY, server)
        .into_iter()
        .find(|finding| finding.level() == Level::Must)
    {
        Some(finding) => Err(finding),
        None => Ok(()),
    }
}

/// The status and body of one request made by the page, or why the page got neither.
fn fetched(seen: &Value) -> Result<(u64, String), String> {
    if let Some(thrown) = seen.get("thrown") {
        return Err(format!(
            "fetch threw {}: the browser blocked the response (CORS) or could not reach the \
             server",
            text(thrown)
        ));
    }
    match (seen.get("status").and_then(Value::as_u64), seen.get("body")) {
        (Some(status), Some(Value::String(body))) => Ok((status, body.clone())),
        _ => Err(format!("the page reported nothing usable: {seen}")),
    }
}

pub(super) fn judge_endpoint_seen(seen: &Value, server: &ServerUnderTest) -> Result<(), Finding> {
    let (status, body) = fetched(seen).map_err(blocked)?;
    if !(200..300).contains(&status) {
        return Err(blocked(format!(
            "status {status} (expected 2xx), body {}",
            shorten(&body)
        )));
    }
    if let Some(why) = seen.get("unreadable") {
        return Err(blocked(format!(
            "the page could not read the answer: {}",
            text(why)
        )));
    }
    if seen.get("serverUrl").and_then(Value::as_str) != Some(server.livekit_url.as_str()) {
        return Err(blocked(format!(
            "server_url is {} (expected {:?})",
            seen.get("serverUrl").unwrap_or(&Value::Null),
            server.livekit_url
        )));
    }
    match seen.get("jwt").and_then(Value::as_str) {
        Some(jwt) => token_refused(jwt, server),
        None => Err(blocked("the page read no participant_token")),
    }
}

pub(super) fn judge_token_seen(seen: &Value, server: &ServerUnderTest) -> Result<(), Finding> {
    let (status, body) = fetched(seen).map_err(blocked)?;
    if status != 200 {
        return Err(blocked(format!(
            "status {status} (expected 200), body {}",
            shorten(&body)
        )));
    }
    if let Some(why) = seen.get("unreadable") {
        return Err(blocked(format!(
            "the page could not read the token: {}",
            text(why)
        )));
    }
    let jwt = seen
        .get("jwt")
        .and_then(Value::as_str)
        .ok_or_else(|| blocked("the page found no token"))?;
    token_refused(jwt, server)?;
    let claims = &seen["claims"];
    if claims["sub"] != IDENTITY || claims["room"] != ROOM {
        return Err(blocked(format!(
            "claims decoded in the page are {claims} (expected sub {IDENTITY:?}, room {ROOM:?})"
        )));
    }
    Ok(())
}

pub(super) fn judge_error_seen(seen: &Value, format: ResponseFormat) -> Result<(), Finding> {
    let (status, body) = fetched(seen).map_err(blocked)?;
    if status != 400 {
        return Err(blocked(format!(
            "status {status} (expected 400), body {}",
            shorten(&body)
        )));
    }
    if let Some(why) = seen.get("unreadable") {
        return Err(blocked(format!(
            "the page could not read the message: {}",
            text(why)
        )));
    }
    let message = seen
        .get("message")
        .and_then(Value::as_str)
        .ok_or_else(|| blocked("the page found no message"))?;
    // As in the other cases, a single trailing newline is still one line of text.
    let message = match format {
        ResponseFormat::Text => message.strip_suffix('\n').unwrap_or(message),
        ResponseFormat::Json => message,
    };
    if message == NAMES_REQUIRED {
        Ok(())
    } else {
        Err(Finding::new(
            Defect::MessageWording,
            format!("error message {message:?} (expected exactly {NAMES_REQUIRED:?})"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn server(format: ResponseFormat) -> ServerUnderTest {
        let mut server = ServerUnderTest::new("http://127.0.0.1:1");
        server.format = format;
        server
    }

    #[test]
    fn a_thrown_fetch_fails_with_its_message() {
        let seen = json!({"thrown": "TypeError: Failed to fetch"});
        let finding = judge_token_seen(&seen, &server(ResponseFormat::Text))
            .expect_err("a blocked fetch fails");
        assert_eq!(finding.defect, Defect::CorsBlocked);
        assert!(
            finding.reason.contains("TypeError: Failed to fetch"),
            "{finding:?}"
        );
        let finding = judge_error_seen(&seen, ResponseFormat::Json).expect_err("fails too");
        assert!(
            finding.reason.contains("TypeError: Failed to fetch"),
            "{finding:?}"
        );
    }

    #[test]
    fn the_error_needs_400_and_the_exact_message() {
        let seen = |status: u16, message: &str| json!({"status": status, "body": message, "message": message});
        let text = ResponseFormat::Text;
        assert_eq!(judge_error_seen(&seen(400, NAMES_REQUIRED), text), Ok(()));
        let with_newline = format!("{NAMES_REQUIRED}\n");
        assert_eq!(judge_error_seen(&seen(400, &with_newline), text), Ok(()));
        assert!(judge_error_seen(&seen(422, NAMES_REQUIRED), text).is_err());
        let worded = judge_error_seen(&seen(400, "names are required"), text).expect_err("wording");
        assert_eq!(worded.defect, Defect::MessageWording);
    }
}
