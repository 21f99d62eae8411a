//! The `webhook/...` cases: LiveKit events, verified as LiveKit's receivers verify them.

use super::shapes::{
    ONLY_POST_ALLOWED, case, error, exchange, expect, request, signed, webhook, webhook_request,
};
use super::{WEBHOOK_BODY_LIMIT, WEBHOOK_PATH};
use crate::case::Body::Empty;
use crate::case::BodyRule::Acknowledged;
use crate::case::StatusRule::Is;
use crate::case::{Case, Expect, Flaw, Signer, WebhookAuth};
use crate::harm::Defect;

/// A `participant_joined` event as LiveKit's server sends it (protobuf JSON).
macro_rules! participant_joined {
    () => {
        r#"{"event":"participant_joined","room":{"sid":"RM_hycBMAjmt6Ub","name":"room1","emptyTimeout":300,"creationTime":"1700000000","numParticipants":1},"participant":{"sid":"PA_39FbS2ZgAmAp","identity":"alice","state":"ACTIVE","joinedAt":"1700000001","name":"Alice"},"id":"EV_3bxUTa5mS3Sv","createdAt":"1700000001"}"#
    };
}
pub(super) const EVENT: &[u8] = participant_joined!().as_bytes();
const EVENT_WITH_NEWLINE: &[u8] = concat!(participant_joined!(), "\n").as_bytes();
const EVENT_WITH_UNKNOWN_FIELDS: &[u8] = br#"{"event":"room_started","room":{"sid":"RM_x","name":"room1","futureField":{"a":[1,2]}},"id":"EV_2","createdAt":"1700000002","roomEndReason":"UNKNOWN","somethingNew":true}"#;
const TAMPERED_EVENT: &[u8] = br#"{"event":"participant_joined","room":{"sid":"RM_hycBMAjmt6Ub","name":"room2"},"participant":{"identity":"mallory"},"id":"EV_3bxUTa5mS3Sv","createdAt":"1700000001"}"#;

const ACKNOWLEDGED: Expect = expect(Is(200), Acknowledged, &[]);

/// The `webhook/...` cases, in the order they run.
pub const CASES: &[Case] = &[
    case(
        "webhook/valid-suite-signed",
        "A webhook signed like LiveKit's server does (by the suite's own code) is acknowledged.",
        exchange(
            webhook(EVENT, signed(Signer::Suite, Flaw::None)),
            ACKNOWLEDGED,
        ),
    )
    .refused_shows(Defect::RefusesWebhook),
    case(
        "webhook/valid-livekit-signed",
        "A webhook signed by LiveKit's official SDK is acknowledged.",
        exchange(
            webhook(EVENT, signed(Signer::LiveKit, Flaw::None)),
            ACKNOWLEDGED,
        ),
    )
    .refused_shows(Defect::RefusesWebhook),
    case(
        "webhook/unknown-fields-ignored",
        "Unknown fields of a signed event are ignored.",
        exchange(
            webhook(
                EVENT_WITH_UNKNOWN_FIELDS,
                signed(Signer::LiveKit, Flaw::None),
            ),
            ACKNOWLEDGED,
        ),
    )
    .refused_shows(Defect::RefusesWebhook),
    case(
        "webhook/missing-authorization",
        "A webhook without an Authorization header gets 401.",
        exchange(webhook(EVENT, WebhookAuth::Missing), error(401)),
    )
    .served_shows(Defect::WebhookForgery),
    case(
        "webhook/garbage-authorization",
        "A webhook whose Authorization is not a JWT gets 401.",
        exchange(
            webhook(EVENT, WebhookAuth::Literal("not-a-jwt")),
            error(401),
        ),
    )
    .served_shows(Defect::WebhookForgery),
    case(
        "webhook/bearer-prefix",
        "A webhook token with a Bearer prefix gets 401, as with LiveKit's receivers.",
        exchange(
            webhook(EVENT, signed(Signer::LiveKit, Flaw::BearerPrefix)),
            error(401),
        ),
    ),
    case(
        "webhook/wrong-secret",
        "A webhook signed with another secret gets 401.",
        exchange(
            webhook(EVENT, signed(Signer::Suite, Flaw::WrongSecret)),
            error(401),
        ),
    )
    .served_shows(Defect::WebhookForgery),
    case(
        "webhook/wrong-key",
        "A webhook issued for another API key gets 401.",
        exchange(
            webhook(EVENT, signed(Signer::Suite, Flaw::WrongKey)),
            error(401),
        ),
    )
    .served_shows(Defect::WebhookForgery),
    case(
        "webhook/tampered-body",
        "A body changed after signing gets 401.",
        exchange(
            webhook(TAMPERED_EVENT, signed(Signer::Suite, Flaw::HashOf(EVENT))),
            error(401),
        ),
    )
    .served_shows(Defect::WebhookForgery),
    case(
        "webhook/trailing-newline",
        "A newline added to the body after signing gets 401: the exact bytes are hashed.",
        exchange(
            webhook(
                EVENT_WITH_NEWLINE,
                signed(Signer::Suite, Flaw::HashOf(EVENT)),
            ),
            error(401),
        ),
    )
    .served_shows(Defect::WebhookForgery),
    case(
        "webhook/expired",
        "A webhook token expired beyond the 60 s leeway gets 401.",
        exchange(
            webhook(EVENT, signed(Signer::Suite, Flaw::Expired)),
            error(401),
        ),
    )
    .served_shows(Defect::WebhookForgery),
    case(
        "webhook/no-expiry",
        "A webhook token signed right but without exp gets 401: LiveKit's verifiers refuse it \
         since August 2026, so it never comes from LiveKit.",
        exchange(
            webhook(EVENT, signed(Signer::Suite, Flaw::NoExpiry)),
            error(401),
        ),
    )
    .served_shows(Defect::WebhookForgery),
    case(
        "webhook/no-hash",
        "A webhook token without a sha256 claim gets 401.",
        exchange(
            webhook(EVENT, signed(Signer::Suite, Flaw::NoHash)),
            error(401),
        ),
    )
    .served_shows(Defect::WebhookForgery),
    case(
        "webhook/url-safe-hash",
        "A sha256 claim in URL-safe base64 gets 401: LiveKit uses the standard alphabet.",
        exchange(
            webhook(EVENT, signed(Signer::Suite, Flaw::UrlSafeHash)),
            error(401),
        ),
    ),
    case(
        "webhook/unpadded-hash",
        "A sha256 claim without base64 padding gets 401.",
        exchange(
            webhook(EVENT, signed(Signer::Suite, Flaw::UnpaddedHash)),
            error(401),
        ),
    ),
    case(
        "webhook/join-token",
        "An ordinary join token used as webhook authorization gets 401.",
        exchange(
            webhook(EVENT, signed(Signer::LiveKit, Flaw::JoinToken)),
            error(401),
        ),
    )
    .served_shows(Defect::WebhookForgery),
    case(
        "webhook/not-an-event",
        "A correctly signed body that is not a JSON object gets 400.",
        exchange(
            webhook(
                b"[\"participant_joined\"]",
                signed(Signer::Suite, Flaw::None),
            ),
            error(400),
        ),
    ),
    case(
        "webhook/event-not-a-string",
        "A correctly signed object whose event is not a string gets 400.",
        exchange(
            webhook(
                br#"{"event":7,"id":"EV_1"}"#,
                signed(Signer::Suite, Flaw::None),
            ),
            error(400),
        ),
    ),
    case(
        "webhook/oversized",
        "A webhook body over 1 MiB gets 413.",
        exchange(
            webhook_request(
                &[],
                EVENT,
                signed(Signer::Suite, Flaw::None),
                WEBHOOK_BODY_LIMIT + 1,
            ),
            error(413),
        ),
    )
    .served_shows(Defect::NoBodyLimit),
    case(
        "webhook/get",
        "GET on the webhook path gets 405 with an Allow header listing POST.",
        exchange(request("GET", WEBHOOK_PATH, &[], Empty), ONLY_POST_ALLOWED),
    ),
];
