//! Sending mail over SMTP (`lettre`): TLS or STARTTLS as `KHO_SMTP_URL` says, plain text only.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::Settings;

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// An e-mail's words, in the owner's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub body: String,
}

/// Why mail could not be set up or sent. Never shows the address or the server's password.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("KHO_SMTP_URL is not a usable SMTP URL")]
    Url,
    #[error("KHO_SMTP_FROM is missing or not a mailbox (like `Kho <no-reply@kho.example>`)")]
    From,
    #[error("the message could not be built")]
    Build,
    #[error("the SMTP server did not take the message: {0}")]
    Smtp(String),
}

/// The SMTP transport and the sender's mailbox.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// The mailer `settings` ask for; `None` when no SMTP server is configured.
    pub fn from_settings(settings: &Settings) -> Result<Option<Self>, MailError> {
        let Some(url) = &settings.smtp_url else {
            return Ok(None);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|_| MailError::Url)?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from: Mailbox = settings
            .smtp_from
            .as_deref()
            .ok_or(MailError::From)?
            .parse()
            .map_err(|_| MailError::From)?;
        Ok(Some(Self { transport, from }))
    }

    /// Sends `letter` to `to`. `id` makes the Message-ID: the same notice sent again (after a
    /// crash between the server's answer and the outbox's record of it) carries the same one.
    pub async fn send(&self, to: Address, letter: Letter, id: &str) -> Result<(), MailError> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(letter.subject)
            .message_id(Some(format!("<{id}@{}>", self.from.email.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(letter.body)
            .map_err(|_| MailError::Build)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Smtp(smtp_reason(&e)))
    }
}

/// What went wrong, without the recipient (lettre's messages can quote the server's reply,
/// which may name the address).
fn smtp_reason(e: &lettre::transport::smtp::Error) -> String {
    if e.is_transient() {
        "a transient refusal".into()
    } else if e.is_permanent() {
        "a permanent refusal".into()
    } else if e.is_timeout() {
        "a timeout".into()
    } else {
        "no connection".into()
    }
}
