//! Microsoft Entra ID sign-in sample events, in the shape of Sentinel's `SigninLogs` table:
//! everyday sign-ins of the estate's users from the office and from home, with a password spray
//! over legacy authentication that ends in a compromised account, an MFA-fatigue run, a device
//! code sign-in and guest (B2B) sign-ins seeded in.

use super::rng::SampleRng;
use super::{SUSPICIOUS_IPS, SampleData};
use arrow::array::{ArrayRef, BooleanBuilder, StringBuilder, TimestampNanosecondBuilder};
use mstic_core::Frame;
use serde_json::json;
use std::sync::Arc;

/// The cloud users who sign in: (user name, display name). The first seven are the Windows
/// accounts of the estate.
pub const SIGN_IN_USERS: &[(&str, &str)] = &[
    ("alice", "Alice Wong"),
    ("bob", "Bob Patel"),
    ("carol", "Carol Diaz"),
    ("dave", "Dave Kim"),
    ("erin", "Erin Novak"),
    ("frank", "Frank Osei"),
    ("grace", "Grace Li"),
    ("heidi", "Heidi Berg"),
    ("ivan", "Ivan Horvat"),
    ("judy", "Judy Mensah"),
    ("ken", "Ken Sato"),
    ("laura", "Laura Rossi"),
];

/// The sign-in domain of the estate's users.
pub const UPN_DOMAIN: &str = "contoso.com";

/// The estate's Entra ID tenant.
const TENANT: &str = "5b2a7c1e-4d3f-4a8b-9c6d-0e1f2a3b4c5d";
/// The home tenant of the guest users.
const GUEST_TENANT: &str = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4";

/// Where sign-ins come from: (IP address, country code, state, city, latitude, longitude).
type Place = (&'static str, &'static str, &'static str, &'static str, f64, f64);
const OFFICE: Place = ("203.0.113.10", "US", "Washington", "Redmond", 47.674, -122.121);
const HOME: Place = ("198.51.100.23", "US", "Washington", "Seattle", 47.606, -122.332);
const TRAVEL: Place = ("192.0.2.77", "GB", "England", "London", 51.507, -0.128);
const GUEST_OFFICE: Place = ("198.51.100.140", "DE", "Berlin", "Berlin", 52.520, 13.405);
const SPRAY: Place = (SUSPICIOUS_IPS[2], "NL", "North Holland", "Amsterdam", 52.370, 4.895);
const FATIGUE: Place = (SUSPICIOUS_IPS[0], "SG", "Singapore", "Singapore", 1.352, 103.820);
const DEVICE_CODE: Place = (SUSPICIOUS_IPS[1], "RO", "Bucharest", "Bucharest", 44.426, 26.102);

/// Applications signed in to: (app name, app ID, resource name).
const APPS: &[(&str, &str, &str)] = &[
    ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
    ("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams Services"),
    ("Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"),
    ("Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Graph"),
    ("Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Windows Azure Service Management API"),
];
const AZURE_CLI: (&str, &str, &str) = ("Microsoft Azure CLI", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Microsoft Graph");

const WINDOWS_EDGE: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0";
const MAC_SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15";
const TEAMS_CLIENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Teams/1.6.00.4472";

/// The text columns, in the order [`SignIn::texts`] gives them.
const TEXT_COLUMNS: &[&str] = &[
    "UserPrincipalName", "UserDisplayName", "UserId", "UserType", "IPAddress", "Location", "LocationDetails",
    "DeviceDetail", "AppDisplayName", "AppId", "ResourceDisplayName", "ClientAppUsed", "ResultType",
    "ResultDescription", "ConditionalAccessStatus", "ConditionalAccessPolicies", "AuthenticationRequirement",
    "AuthenticationDetails", "AuthenticationProtocol", "RiskLevelDuringSignIn", "RiskLevelAggregated", "RiskState",
    "RiskDetail", "RiskEventTypes_V2", "UserAgent", "CorrelationId", "HomeTenantId", "ResourceTenantId",
    "CrossTenantAccessType", "Category", "OperationName",
];

/// How a sign-in ended.
#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Success,
    BadPassword,
    Locked,
    NoSuchUser,
    MfaDenied,
    BlockedByPolicy,
}

impl Outcome {
    /// Entra ID's result code and description.
    fn result(self) -> (&'static str, &'static str) {
        match self {
            Outcome::Success => ("0", ""),
            Outcome::BadPassword => ("50126", "Error validating credentials due to invalid username or password."),
            Outcome::Locked => ("50053", "Account is locked because user tried to sign in too many times with an incorrect user ID or password."),
            Outcome::NoSuchUser => ("50034", "User not found. To sign into this application, the account must be added to the directory."),
            Outcome::MfaDenied => ("500121", "Authentication failed during strong authentication request."),
            Outcome::BlockedByPolicy => ("53003", "Access has been blocked by Conditional Access policies."),
        }
    }
}

/// One sign-in, before it becomes a row.
struct SignIn {
    upn: String,
    display_name: String,
    user_id: String,
    guest: bool,
    place: Place,
    app: (&'static str, &'static str, &'static str),
    client_app: &'static str,
    user_agent: &'static str,
    operating_system: &'static str,
    browser: &'static str,
    outcome: Outcome,
    mfa: bool,
    protocol: &'static str,
    risk: &'static str,
    interactive: bool,
    correlation_id: String,
}

impl SignIn {
    /// A sign-in of user `index` of [`SIGN_IN_USERS`] with the usual client and MFA.
    fn of_user(index: usize, place: Place, app: (&'static str, &'static str, &'static str), rng: &mut SampleRng) -> SignIn {
        let (name, display) = SIGN_IN_USERS[index % SIGN_IN_USERS.len()];
        let (client_app, user_agent, operating_system, browser) = match rng.below(10) {
            0..=5 => ("Browser", WINDOWS_EDGE, "Windows 10", "Edge 120.0.0"),
            6..=7 => ("Mobile Apps and Desktop clients", TEAMS_CLIENT, "Windows 10", "Rich Client 1.6.0"),
            _ => ("Browser", MAC_SAFARI, "MacOs", "Safari 17.1"),
        };
        SignIn {
            upn: format!("{name}@{UPN_DOMAIN}"),
            display_name: display.to_string(),
            user_id: object_id(0x5000 + index as u64),
            guest: false,
            place,
            app,
            client_app,
            user_agent,
            operating_system,
            browser,
            outcome: Outcome::Success,
            mfa: rng.chance(0.6),
            protocol: "none",
            risk: "none",
            interactive: true,
            correlation_id: guid(rng),
        }
    }

    /// The row's text values, in [`TEXT_COLUMNS`] order.
    fn texts(&self) -> Vec<String> {
        let (ip, country, state, city, latitude, longitude) = self.place;
        let (result, description) = self.outcome.result();
        let location = json!({
            "city": city, "state": state, "countryOrRegion": country,
            "geoCoordinates": {"latitude": latitude, "longitude": longitude},
        });
        let device = json!({"deviceId": "", "operatingSystem": self.operating_system, "browser": self.browser});
        let password_ok = !matches!(self.outcome, Outcome::BadPassword | Outcome::Locked | Outcome::NoSuchUser);
        let mut steps = vec![json!({
            "authenticationMethod": "Password", "succeeded": password_ok,
            "authenticationStepResultDetail": if password_ok { "Correct password" } else { "Invalid username or password or Invalid on-premise username or password." },
        })];
        if self.outcome == Outcome::MfaDenied {
            steps.push(json!({
                "authenticationMethod": "Mobile app notification", "succeeded": false,
                "authenticationStepResultDetail": "MFA denied; user declined the authentication",
            }));
        } else if self.mfa && self.outcome == Outcome::Success {
            steps.push(json!({
                "authenticationMethod": "Mobile app notification", "succeeded": true,
                "authenticationStepResultDetail": "MFA successfully completed",
            }));
        }
        let legacy = self.client_app == "IMAP4";
        let (access_status, policies) = match self.outcome {
            Outcome::BlockedByPolicy => ("failure", json!([{"displayName": "Require compliant device for admin portals", "result": "failure"}])),
            _ if legacy || self.guest => ("notApplied", json!([])),
            _ => ("success", json!([{"displayName": "Require MFA for all users", "result": "success"}])),
        };
        let requirement = if self.mfa || self.outcome == Outcome::MfaDenied { "multiFactorAuthentication" } else { "singleFactorAuthentication" };
        let risk_events = if self.risk == "none" { json!([]) } else { json!(["unfamiliarFeatures"]) };
        let risk_state = if self.risk == "none" { "none" } else { "atRisk" };
        let home_tenant = if self.guest { GUEST_TENANT } else { TENANT };
        [
            self.upn.as_str(),
            &self.display_name,
            &self.user_id,
            if self.guest { "Guest" } else { "Member" },
            ip,
            country,
            &location.to_string(),
            &device.to_string(),
            self.app.0,
            self.app.1,
            self.app.2,
            self.client_app,
            result,
            description,
            access_status,
            &policies.to_string(),
            requirement,
            &serde_json::Value::Array(steps).to_string(),
            self.protocol,
            self.risk,
            self.risk,
            risk_state,
            if self.risk == "none" { "none" } else { "aiConfirmedSigninSafe" },
            &risk_events.to_string(),
            self.user_agent,
            &self.correlation_id,
            home_tenant,
            TENANT,
            if self.guest { "b2bCollaboration" } else { "none" },
            "SignInLogs",
            "Sign-in activity",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }
}

/// A GUID-shaped identifier derived from `n` (stable per user).
fn object_id(n: u64) -> String {
    format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", 0x6b1d_0000 + n, n & 0xffff, n & 0xfff, (n >> 4) & 0xfff, n.wrapping_mul(0x9E37_79B9))
}

/// A random GUID-shaped identifier.
fn guid(rng: &mut SampleRng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff, 0x8000 | (b >> 48) & 0x3fff, b & 0xffff_ffff_ffff)
}

/// `n` sign-ins over the sample's time range (see the module docs for what is seeded in).
pub(super) fn sign_in_events(sample: &SampleData, n: usize) -> Frame {
    let mut rng = SampleRng::new(sample.seed, 50126);
    // The password spray: every user once or twice with a wrong password from one address over
    // IMAP, a few made-up accounts, frank locked out, then erin's password works.
    let spray = if n >= 100 { (n / 40).max(2 * SIGN_IN_USERS.len() + 4) } else { 0 };
    let spray_start = n / 2;
    // MFA fatigue: alice's password used from abroad, the push denied again and again.
    let fatigue = if n >= 100 { 6 } else { 0 };
    let fatigue_start = n / 4;
    let device_code_at = if n >= 100 { n * 4 / 5 } else { usize::MAX };
    let mut time = TimestampNanosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut interactive = BooleanBuilder::with_capacity(n);
    let mut text: Vec<StringBuilder> = TEXT_COLUMNS.iter().map(|_| StringBuilder::with_capacity(n, n * 24)).collect();
    for index in 0..n {
        let mut t = sample.time_of(index, n, &mut rng);
        let sign_in = if (spray_start..spray_start + spray).contains(&index) {
            let step = index - spray_start;
            t = sample.time_of(spray_start, n, &mut rng) + step as i64 * 20_000_000_000;
            spray_attempt(step, spray, &mut rng)
        } else if (fatigue_start..fatigue_start + fatigue).contains(&index) {
            t = sample.time_of(fatigue_start, n, &mut rng) + (index - fatigue_start) as i64 * 45_000_000_000;
            let mut sign_in = SignIn::of_user(0, FATIGUE, APPS[0], &mut rng);
            sign_in.outcome = Outcome::MfaDenied;
            sign_in.risk = "high";
            sign_in
        } else if index == device_code_at {
            let mut sign_in = SignIn::of_user(3, DEVICE_CODE, AZURE_CLI, &mut rng);
            (sign_in.protocol, sign_in.client_app, sign_in.mfa, sign_in.risk) = ("deviceCode", "Mobile Apps and Desktop clients", true, "medium");
            sign_in
        } else {
            everyday_sign_in(&mut rng)
        };
        time.append_value(t);
        interactive.append_value(sign_in.interactive);
        for (builder, value) in text.iter_mut().zip(sign_in.texts()) {
            builder.append_value(value);
        }
    }
    let mut arrays: Vec<(String, ArrayRef)> =
        vec![("TimeGenerated".into(), Arc::new(time.finish())), ("IsInteractive".into(), Arc::new(interactive.finish()))];
    for (name, mut builder) in TEXT_COLUMNS.iter().zip(text) {
        arrays.push((name.to_string(), Arc::new(builder.finish())));
    }
    Frame::from_columns(arrays).unwrap_or_else(|e| unreachable!("sample columns have equal lengths: {e}"))
}

/// Attempt `step` of a spray of `length` attempts, all over IMAP (no browser, no MFA).
fn spray_attempt(step: usize, length: usize, rng: &mut SampleRng) -> SignIn {
    const MADE_UP: &[&str] = &["admin", "helpdesk", "it.support", "scanner"];
    let users = SIGN_IN_USERS.len();
    let mut sign_in = if step + 1 == length {
        // The spray found erin's password; IMAP is not behind MFA.
        SignIn::of_user(4, SPRAY, APPS[0], rng)
    } else {
        let mut attempt = SignIn { outcome: Outcome::BadPassword, ..SignIn::of_user(step % users, SPRAY, APPS[0], rng) };
        if step >= 2 * users {
            let made_up = MADE_UP[(step - 2 * users) % MADE_UP.len()];
            attempt.upn = format!("{made_up}@{UPN_DOMAIN}");
            (attempt.display_name, attempt.user_id, attempt.outcome) = (String::new(), String::new(), Outcome::NoSuchUser);
        } else if step >= users && step % users == 5 {
            attempt.outcome = Outcome::Locked;
        }
        attempt
    };
    (sign_in.client_app, sign_in.user_agent, sign_in.operating_system, sign_in.browser, sign_in.mfa) =
        ("IMAP4", "", "", "", false);
    sign_in
}

/// A sign-in of the estate's everyday traffic: mostly members from the office or home, a few
/// failures, blocks and trips abroad, and guests from a partner.
fn everyday_sign_in(rng: &mut SampleRng) -> SignIn {
    let app = *rng.pick(APPS);
    if rng.chance(0.03) {
        let mut sign_in = SignIn::of_user(0, GUEST_OFFICE, APPS[1], rng);
        let partner = *rng.pick(&["mia.schulz", "jonas.weber"]);
        sign_in.upn = format!("{}_fabrikam.com#EXT#@contoso.onmicrosoft.com", partner);
        sign_in.display_name = partner.replace('.', " ");
        sign_in.user_id = object_id(0x9000 + partner.len() as u64);
        (sign_in.guest, sign_in.mfa) = (true, false);
        return sign_in;
    }
    let user = rng.below(SIGN_IN_USERS.len() as u64) as usize;
    let place = match rng.below(100) {
        0..=59 => OFFICE,
        60..=97 => HOME,
        _ => TRAVEL,
    };
    let mut sign_in = SignIn::of_user(user, place, app, rng);
    let roll = rng.below(1000);
    sign_in.outcome = match roll {
        0..=29 => Outcome::BadPassword,
        30..=34 if app.0 == "Azure Portal" => Outcome::BlockedByPolicy,
        _ => Outcome::Success,
    };
    sign_in.interactive = !rng.chance(0.1);
    sign_in
}
