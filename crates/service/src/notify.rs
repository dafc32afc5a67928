//! Notifications by e-mail through the municipality's SMTP relay (`Store::tenant_smtp`): a
//! school's mobilisation list when something happens. The relay's password, when it needs one,
//! comes from the server's environment (`LAGESBILD_SMTP_PASSWORD_<code>`, else
//! `LAGESBILD_SMTP_PASSWORD`), never from the database.

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use model::{Email, SmtpSecurity, SmtpSettings};

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("no SMTP relay is set for this municipality")]
    NoRelay,
    #[error("no one to send to")]
    NoRecipients,
    #[error("the message could not be made: {0}")]
    Message(String),
    #[error("the relay {host}:{port} did not take the message: {reason}")]
    Send {
        host: String,
        port: u16,
        reason: String,
    },
}

fn mailbox(e: &Email) -> Result<Mailbox, NotifyError> {
    e.as_str()
        .parse()
        .map_err(|err| NotifyError::Message(format!("address {}: {err}", e.as_str())))
}

/// Sends one message to every recipient (each in To, one envelope) through the relay.
pub async fn send(
    relay: &SmtpSettings,
    password: Option<String>,
    to: &[Email],
    subject: &str,
    body: &str,
) -> Result<(), NotifyError> {
    if to.is_empty() {
        return Err(NotifyError::NoRecipients);
    }
    let mut builder = Message::builder()
        .from(mailbox(&relay.from)?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN);
    for r in to {
        builder = builder.to(mailbox(r)?);
    }
    let message = builder
        .body(body.to_string())
        .map_err(|e| NotifyError::Message(e.to_string()))?;
    let send_err = |reason: String| NotifyError::Send {
        host: relay.host.clone(),
        port: relay.port,
        reason,
    };
    let tls = match relay.security {
        SmtpSecurity::None => Tls::None,
        SmtpSecurity::StartTls => Tls::Required(
            TlsParameters::new(relay.host.clone()).map_err(|e| send_err(e.to_string()))?,
        ),
        SmtpSecurity::Tls => Tls::Wrapper(
            TlsParameters::new(relay.host.clone()).map_err(|e| send_err(e.to_string()))?,
        ),
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(relay.host.clone())
        .port(relay.port)
        .tls(tls)
        .timeout(Some(std::time::Duration::from_secs(20)));
    if let (Some(user), Some(pass)) = (&relay.user, password) {
        transport = transport.credentials(Credentials::new(user.clone(), pass));
    }
    transport
        .build()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| send_err(e.to_string()))
}

/// The relay's password for a municipality, from the environment.
pub fn password(tenant_code: &str) -> Option<String> {
    std::env::var(format!("LAGESBILD_SMTP_PASSWORD_{tenant_code}"))
        .or_else(|_| std::env::var("LAGESBILD_SMTP_PASSWORD"))
        .ok()
        .filter(|p| !p.is_empty())
}
