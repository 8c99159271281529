//! The stdin channel: `input_request` to the frontend and its `input_reply`, for cells that call
//! `evcxr_input::get_string` / `get_password` while their execute request allows stdin.

use crate::wire::{Message, Session};
use serde_json::json;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use zeromq::{RouterSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

/// One question for the frontend.
struct InputAsk {
    parent: Message,
    prompt: String,
    password: bool,
    answer: mpsc::Sender<String>,
}

/// Handle the engine thread uses to ask the frontend for input.
#[derive(Clone)]
pub struct Stdin {
    tx: UnboundedSender<InputAsk>,
}

impl Stdin {
    /// Sends an `input_request` (parent: the execute request `parent`) and waits for the
    /// `input_reply`'s value. Gives up (returns `None`) once `cancelled()` is true.
    pub fn ask(&self, parent: &Message, prompt: &str, password: bool, cancelled: &dyn Fn() -> bool) -> Option<String> {
        let (answer, rx) = mpsc::channel();
        let ask = InputAsk { parent: parent.clone(), prompt: prompt.to_string(), password, answer };
        self.tx.send(ask).ok()?;
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(value) => return Some(value),
                Err(RecvTimeoutError::Timeout) if !cancelled() => continue,
                Err(_) => return None,
            }
        }
    }
}

/// The socket side of a [`Stdin`] handle, bound once the connection is known.
pub struct Unbound {
    session: Session,
    rx: UnboundedReceiver<InputAsk>,
}

/// A handle whose ROUTER socket is bound later.
pub fn channel(session: Session) -> (Stdin, Unbound) {
    let (tx, rx) = unbounded_channel();
    (Stdin { tx }, Unbound { session, rx })
}

impl Unbound {
    /// Binds the stdin ROUTER socket and starts its task.
    pub async fn bind(self, endpoint: &str) -> anyhow::Result<()> {
        let mut socket = RouterSocket::new();
        socket.bind(endpoint).await?;
        tokio::spawn(run(socket, self.session, self.rx));
        Ok(())
    }
}

async fn run(mut socket: RouterSocket, session: Session, mut asks: UnboundedReceiver<InputAsk>) {
    let mut waiting: Option<mpsc::Sender<String>> = None;
    loop {
        tokio::select! {
            frames = socket.recv() => {
                let frames = match frames {
                    Ok(frames) => frames,
                    Err(e) => {
                        eprintln!("rust-mstic: stdin receive failed: {e}");
                        continue;
                    }
                };
                match session.decode(frames.into_vec()) {
                    Ok(reply) if reply.msg_type() == "input_reply" => {
                        let value = reply.content["value"].as_str().unwrap_or_default().to_string();
                        match waiting.take() {
                            Some(answer) => { let _ = answer.send(value); }
                            None => eprintln!("rust-mstic: an input_reply arrived while no cell was waiting for input"),
                        }
                    }
                    Ok(other) => eprintln!("rust-mstic: ignoring unsupported {} on stdin", other.msg_type()),
                    Err(e) => eprintln!("rust-mstic: dropped a stdin message: {e}"),
                }
            }
            ask = asks.recv() => {
                let Some(ask) = ask else { return };
                // Routed back to the requesting client: frontends give their shell and stdin
                // sockets the same identity.
                let request = session.reply(&ask.parent, "input_request", json!({"prompt": ask.prompt, "password": ask.password}));
                waiting = Some(ask.answer);
                let sent = match ZmqMessage::try_from(session.encode(&request)) {
                    Ok(frames) => socket.send(frames).await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(e) = sent {
                    eprintln!("rust-mstic: sending input_request failed: {e}");
                    waiting = None;
                }
            }
        }
    }
}
