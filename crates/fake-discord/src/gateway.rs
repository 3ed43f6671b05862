//! The gateway: one websocket task per connection, the handshake (HELLO, IDENTIFY → READY +
//! GUILD_CREATE, heartbeat ACKs, RESUME → replay + RESUMED), dispatches, and injected faults
//! (dropped connections, op 7, op 9).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::objects::{guild_object, ready_payload, snowflake_of};
use crate::protocol::opcode;
use crate::store::Inner;
use crate::{FakeDiscord, HEARTBEAT_INTERVAL_MS, SEND_TIMEOUT};

/// Commands for one gateway connection task.
pub(crate) enum ConnCmd {
    /// Write a text frame. Acknowledged with the write time once written; `interaction` is the id
    /// of an INTERACTION_CREATE, whose send time is recorded.
    Send {
        frame: String,
        ack: Option<oneshot::Sender<Instant>>,
        interaction: Option<u64>,
    },
    /// Drop the TCP connection without a close frame.
    Drop,
}

#[derive(Clone)]
pub(crate) struct LiveConn {
    pub(crate) id: u64,
    pub(crate) tx: mpsc::UnboundedSender<ConnCmd>,
    pub(crate) session: String,
}

impl FakeDiscord {
    /// Closes every gateway connection abruptly (TCP closed, no close frame).
    pub async fn drop_gateway(&self) {
        let mut st = self.inner.st();
        st.live = None;
        for tx in st.conns.values() {
            let _ = tx.send(ConnCmd::Drop);
        }
    }

    async fn take_live(&self) -> Option<LiveConn> {
        let live = self.wait_until(SEND_TIMEOUT, |st| st.live.clone()).await?;
        let mut st = self.inner.st();
        if st.live.as_ref().map(|l| l.id) == Some(live.id) {
            st.live = None;
        }
        Some(live)
    }

    /// Sends op 7 RECONNECT on the live connection (waiting up to [`SEND_TIMEOUT`] for one). The
    /// connection is no longer used for dispatches; the client should RESUME on a new one.
    pub async fn send_reconnect(&self) {
        if let Some(live) = self.take_live().await {
            let _ = live.tx.send(ConnCmd::Send {
                frame: control_frame(opcode::RECONNECT, Value::Null),
                ack: None,
                interaction: None,
            });
        }
    }

    /// Sends op 9 INVALID_SESSION `d: resumable` on the live connection. When not resumable the
    /// session is forgotten, so a RESUME is refused (another op 9 false) and the bot must
    /// IDENTIFY again. Note: serenity 0.12.5 waits ~5 s before re-identifying.
    pub async fn send_invalid_session(&self, resumable: bool) {
        if let Some(live) = self.take_live().await {
            if !resumable {
                let mut st = self.inner.st();
                if st.session_id.as_deref() == Some(live.session.as_str()) {
                    st.session_id = None;
                }
            }
            let _ = live.tx.send(ConnCmd::Send {
                frame: control_frame(opcode::INVALID_SESSION, json!(resumable)),
                ack: None,
                interaction: None,
            });
        }
    }

    /// Sends INTERACTION_CREATE with `payload` as `d` over the newest live gateway connection
    /// (waiting up to [`SEND_TIMEOUT`] for one) and returns when the frame was written.
    /// Panics if no connection becomes live.
    pub async fn send_interaction(&self, payload: serde_json::Value) -> Instant {
        self.try_send_dispatch("INTERACTION_CREATE", payload, SEND_TIMEOUT)
            .await
            .expect("fake discord: no live gateway connection to send INTERACTION_CREATE on")
    }

    /// Sends any dispatch event `{"op":0,"t":event,"s":N,"d":data}` on the live connection.
    /// Returns the write time, or `None` if no connection became live within `timeout`. If the
    /// connection dies before the write, the event is replayed on RESUME or re-sent after a new
    /// IDENTIFY.
    pub async fn try_send_dispatch(
        &self,
        event: &str,
        data: serde_json::Value,
        timeout: Duration,
    ) -> Option<Instant> {
        let deadline = tokio::time::Instant::now() + timeout;
        let interaction = if event == "INTERACTION_CREATE" {
            let id = data.get("id").and_then(snowflake_of);
            if let (Some(id), Some(token)) = (id, data.get("token").and_then(Value::as_str)) {
                self.inner.st().tokens.insert(token.to_string(), id);
            }
            id
        } else {
            None
        };
        // (session, seq, connection) of a frame queued on a connection that died.
        let mut pending: Option<(String, u64, u64)> = None;
        loop {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            let failed_conn = pending.as_ref().map(|p| p.2);
            let live = self
                .wait_until(remaining, |st| {
                    st.live.clone().filter(|l| Some(l.id) != failed_conn)
                })
                .await?;
            let (ack_tx, ack_rx) = oneshot::channel();
            let seq;
            {
                let mut st = self.inner.st();
                if st.live.as_ref().map(|l| l.id) != Some(live.id) {
                    continue;
                }
                if let Some((session, seq, _)) = &pending {
                    let replayed =
                        live.session == *session && st.event_log.iter().any(|(s, _)| s == seq);
                    if replayed {
                        // The RESUME handler replayed it on the new connection.
                        let now = Instant::now();
                        if let Some(id) = interaction {
                            st.sent_at.entry(id).or_insert(now);
                        }
                        return Some(now);
                    }
                }
                st.seq += 1;
                seq = st.seq;
                let frame =
                    json!({"op": opcode::DISPATCH, "t": event, "s": seq, "d": data}).to_string();
                st.event_log.push((seq, frame.clone()));
                let _ = live.tx.send(ConnCmd::Send {
                    frame,
                    ack: Some(ack_tx),
                    interaction,
                });
            }
            match tokio::time::timeout_at(deadline, ack_rx).await {
                Ok(Ok(at)) => return Some(at),
                Ok(Err(_)) => pending = Some((live.session.clone(), seq, live.id)),
                Err(_) => return None,
            }
        }
    }
}

pub(crate) async fn ws_handler(
    State(inner): State<Arc<Inner>>,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    let query = uri.query().unwrap_or_default().to_string();
    ws.on_upgrade(move |socket| run_gateway_conn(inner, socket, query))
}

fn dispatch_frame(event: &str, seq: u64, d: Value) -> String {
    json!({"op": opcode::DISPATCH, "t": event, "s": seq, "d": d}).to_string()
}

/// A frame that is not a dispatch: no event name, no sequence number.
fn control_frame(op: u64, d: Value) -> String {
    json!({"op": op, "d": d, "s": null, "t": null}).to_string()
}

async fn run_gateway_conn(inner: Arc<Inner>, mut socket: WebSocket, query: String) {
    let conn_id = inner.next_conn.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::unbounded_channel::<ConnCmd>();
    let mut shutdown = inner.shutdown.subscribe();
    {
        let mut st = inner.st();
        st.connection_count += 1;
        st.gateway_queries.push(query);
        st.conns.insert(conn_id, tx.clone());
    }
    inner.notify.notify_waiters();

    let hello = control_frame(
        opcode::HELLO,
        json!({"heartbeat_interval": HEARTBEAT_INTERVAL_MS}),
    );
    let mut alive = socket.send(WsMessage::Text(hello)).await.is_ok();
    while alive {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(text))) => {
                    for frame in handle_client_frame(&inner, conn_id, &tx, &text) {
                        if socket.send(WsMessage::Text(frame)).await.is_err() {
                            alive = false;
                            break;
                        }
                    }
                }
                Some(Ok(WsMessage::Binary(bytes))) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    for frame in handle_client_frame(&inner, conn_id, &tx, &text) {
                        if socket.send(WsMessage::Text(frame)).await.is_err() {
                            alive = false;
                            break;
                        }
                    }
                }
                // Keep polling after a Close: that is what flushes tungstenite's close reply,
                // which serenity waits for when shutting a shard down.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => alive = false,
            },
            cmd = rx.recv() => match cmd {
                Some(ConnCmd::Send { frame, ack, interaction }) => {
                    if socket.send(WsMessage::Text(frame)).await.is_ok() {
                        let now = Instant::now();
                        if let Some(id) = interaction {
                            inner.st().sent_at.entry(id).or_insert(now);
                        }
                        if let Some(ack) = ack {
                            let _ = ack.send(now);
                        }
                    } else {
                        alive = false;
                    }
                }
                Some(ConnCmd::Drop) | None => alive = false,
            },
            _ = shutdown.changed() => alive = false,
        }
    }
    {
        let mut st = inner.st();
        st.conns.remove(&conn_id);
        if st.live.as_ref().map(|l| l.id) == Some(conn_id) {
            st.live = None;
        }
    }
    inner.notify.notify_waiters();
    // Dropping the socket closes the TCP connection without a close frame; dropping `rx` fails
    // the acks of frames that were never written.
    drop(socket);
    drop(rx);
}

fn handle_client_frame(
    inner: &Inner,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<ConnCmd>,
    text: &str,
) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return vec![];
    };
    let op = v.get("op").and_then(Value::as_u64);
    let mut frames = Vec::new();
    {
        let mut st = inner.st();
        if op != Some(opcode::HEARTBEAT) {
            st.client_frames.push(v.clone());
        }
        match op {
            Some(opcode::HEARTBEAT) => {
                frames.push(control_frame(opcode::HEARTBEAT_ACK, Value::Null))
            }
            Some(opcode::IDENTIFY) => {
                st.identify_count += 1;
                st.last_identify = Some(v["d"].clone());
                st.session_counter += 1;
                let session = format!("fake-session-{}-{}", inner.port, st.session_counter);
                st.session_id = Some(session.clone());
                st.event_log.clear();
                st.seq = 0;
                let shard = v["d"].get("shard").cloned().unwrap_or(json!([0, 1]));
                let ready = ready_payload(&inner.ws_url(), &session, shard);
                for (event, d) in [("READY", ready), ("GUILD_CREATE", guild_object())] {
                    st.seq += 1;
                    let frame = dispatch_frame(event, st.seq, d);
                    let seq = st.seq;
                    st.event_log.push((seq, frame.clone()));
                    frames.push(frame);
                }
                st.live = Some(LiveConn {
                    id: conn_id,
                    tx: tx.clone(),
                    session,
                });
                st.ready_count += 1;
            }
            Some(opcode::RESUME) => {
                st.resume_count += 1;
                let d = &v["d"];
                let client_seq = d.get("seq").and_then(Value::as_u64).unwrap_or(0);
                let session = d.get("session_id").and_then(Value::as_str).unwrap_or("");
                if st.session_id.as_deref() == Some(session) && !session.is_empty() {
                    for (s, frame) in &st.event_log {
                        if *s > client_seq {
                            frames.push(frame.clone());
                        }
                    }
                    st.seq += 1;
                    frames.push(dispatch_frame(
                        "RESUMED",
                        st.seq,
                        json!({"_trace": ["fake-discord"]}),
                    ));
                    st.live = Some(LiveConn {
                        id: conn_id,
                        tx: tx.clone(),
                        session: session.to_string(),
                    });
                } else {
                    frames.push(control_frame(opcode::INVALID_SESSION, json!(false)));
                }
            }
            _ => {}
        }
    }
    inner.notify.notify_waiters();
    frames
}
