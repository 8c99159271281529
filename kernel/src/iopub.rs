//! IOPub: an XPUB socket that greets every new subscriber with `iopub_welcome` (JEP 65), and a
//! cloneable handle any thread can publish through.

use crate::wire::{Message, Session};
use serde_json::{Value, json};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{Receiver, Sender, channel as bounded_channel};
use zeromq::{Socket, SocketRecv, SocketSend, XPubSocket, ZmqMessage};

/// How many IOPub messages may wait for the socket. A cell that prints faster than the frontend
/// reads waits for room instead of growing the kernel's memory without bound.
pub const QUEUE_LIMIT: usize = 4096;

/// Publishes messages on IOPub; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct Iopub {
    session: Session,
    tx: Sender<Message>,
}

impl Iopub {
    /// Publishes `msg_type` with `content`, as a child of `parent`; waits while the queue is full.
    pub fn publish(&self, parent: Option<&Message>, msg_type: &str, content: Value) {
        self.send(self.session.broadcast(parent, msg_type, content));
    }

    /// Publishes a message with its own `metadata` and binary `buffers` (comm messages).
    pub fn publish_with(&self, parent: Option<&Message>, msg_type: &str, content: Value, metadata: Value, buffers: Vec<bytes::Bytes>) {
        let mut message = self.session.broadcast(parent, msg_type, content);
        message.metadata = metadata;
        message.buffers = buffers;
        self.send(message);
    }

    fn send(&self, mut message: Message) {
        loop {
            match self.tx.try_send(message) {
                Ok(()) | Err(TrySendError::Closed(_)) => return,
                Err(TrySendError::Full(back)) => {
                    message = back;
                    wait_for_room();
                }
            }
        }
    }

    /// Publishes `status` (`busy`/`idle`/`starting`).
    pub fn status(&self, parent: Option<&Message>, state: &str) {
        self.publish(parent, "status", json!({"execution_state": state}));
    }
}

/// A short pause while the IOPub queue is full (inside the kernel's async runtime the worker
/// thread is handed over to other tasks meanwhile, so the socket task keeps draining).
fn wait_for_room() {
    let pause = || std::thread::sleep(std::time::Duration::from_millis(2));
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(pause),
        _ => pause(),
    }
}

/// The socket side of an [`Iopub`] handle, not yet bound: messages published meanwhile wait.
pub struct Unbound {
    session: Session,
    rx: Receiver<Message>,
}

/// A publishing handle whose socket is bound later (a standby engine boots before it knows its
/// connection).
pub fn channel(session: Session) -> (Iopub, Unbound) {
    let (tx, rx) = bounded_channel(QUEUE_LIMIT);
    (Iopub { session: session.clone(), tx }, Unbound { session, rx })
}

impl Unbound {
    /// The queue's receiving end, for tests that read what was published.
    #[cfg(test)]
    pub fn into_receiver(self) -> Receiver<Message> {
        self.rx
    }

    /// Binds the IOPub socket and starts its task.
    pub async fn bind(self, endpoint: &str) -> anyhow::Result<()> {
        let mut socket = XPubSocket::new();
        socket.bind(endpoint).await?;
        tokio::spawn(run(socket, self.session, self.rx));
        Ok(())
    }
}

async fn run(mut socket: XPubSocket, session: Session, mut rx: Receiver<Message>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_makes_publishers_wait_until_the_socket_side_reads() {
        let (iopub, mut unbound) = channel(Session::new(""));
        for i in 0..QUEUE_LIMIT {
            iopub.publish(None, "stream", json!({"name": "stdout", "text": i.to_string()}));
        }
        let publisher = {
            let iopub = iopub.clone();
            std::thread::spawn(move || iopub.publish(None, "stream", json!({"name": "stdout", "text": "last"})))
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!publisher.is_finished(), "the publisher waits while the queue is full");
        let first = unbound.rx.blocking_recv().unwrap();
        assert_eq!(first.content["text"], "0");
        publisher.join().unwrap();
        let mut last = None;
        while let Ok(message) = unbound.rx.try_recv() {
            last = Some(message);
        }
        assert_eq!(last.unwrap().content["text"], "last", "nothing was dropped");
    }
}
