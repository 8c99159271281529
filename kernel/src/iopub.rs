//! IOPub: an XPUB socket that greets every new subscriber with `iopub_welcome` (JEP 65), and a
//! cloneable handle any thread can publish through.

use crate::wire::{Message, Session};
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use zeromq::{Socket, SocketRecv, SocketSend, XPubSocket, ZmqMessage};

/// Publishes messages on IOPub; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct Iopub {
    session: Session,
    tx: UnboundedSender<Message>,
}

impl Iopub {
    /// Publishes `msg_type` with `content`, as a child of `parent`.
    pub fn publish(&self, parent: Option<&Message>, msg_type: &str, content: Value) {
        let _ = self.tx.send(self.session.broadcast(parent, msg_type, content));
    }

    /// Publishes `status` (`busy`/`idle`/`starting`).
    pub fn status(&self, parent: Option<&Message>, state: &str) {
        self.publish(parent, "status", json!({"execution_state": state}));
    }
}

/// The socket side of an [`Iopub`] handle, not yet bound: messages published meanwhile wait.
pub struct Unbound {
    session: Session,
    rx: UnboundedReceiver<Message>,
}

/// A publishing handle whose socket is bound later (a standby engine boots before it knows its
/// connection).
pub fn channel(session: Session) -> (Iopub, Unbound) {
    let (tx, rx) = unbounded_channel();
    (Iopub { session: session.clone(), tx }, Unbound { session, rx })
}

impl Unbound {
    /// Binds the IOPub socket and starts its task.
    pub async fn bind(self, endpoint: &str) -> anyhow::Result<()> {
        let mut socket = XPubSocket::new();
        socket.bind(endpoint).await?;
        tokio::spawn(run(socket, self.session, self.rx));
        Ok(())
    }
}

async fn run(mut socket: XPubSocket, session: Session, mut rx: UnboundedReceiver<Message>) {
    loop {
        tokio::select! {
            subscription = socket.recv() => {
                let Ok(subscription) = subscription else { continue };
                let Some(frame) = subscription.get(0) else { continue };
                // A subscription frame is 0x01 followed by the topic; 0x00 is an unsubscribe.
                if frame.first() == Some(&1) {
                    let topic = String::from_utf8_lossy(&frame[1..]).into_owned();
                    let mut welcome = session.broadcast(None, "iopub_welcome", json!({"subscription": topic}));
                    welcome.identities = vec![bytes::Bytes::from(topic)];
                    send(&mut socket, &session, &welcome).await;
                }
            }
            message = rx.recv() => match message {
                Some(message) => send(&mut socket, &session, &message).await,
                None => return,
            }
        }
    }
}

async fn send(socket: &mut XPubSocket, session: &Session, message: &Message) {
    if let Ok(frames) = ZmqMessage::try_from(session.encode(message))
        && let Err(e) = socket.send(frames).await
    {
        eprintln!("rust-mstic: iopub send failed: {e}");
    }
}
