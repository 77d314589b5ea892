//! Publish/subscribe: who listens to which channel or pattern, and message delivery.
//!
//! Subscribers are kept by channel (and pattern) in subscription order; a message is encoded once per
//! protocol version and sent over each subscriber's outbound channel. A message to the publishing
//! client itself is returned to the caller so it is written in order with the command's own reply.

use crate::client::{ClientHandle, Outbound};
use crate::protocol::Reply;
use bytes::Bytes;
use std::collections::HashMap;

#[derive(Default)]
pub struct PubSub {
    pub channels: HashMap<Bytes, Vec<u64>>,
    pub patterns: HashMap<Bytes, Vec<u64>>,
}

impl PubSub {
    pub fn subscribe(&mut self, channel: &Bytes, id: u64) {
        let subs = self.channels.entry(channel.clone()).or_default();
        if !subs.contains(&id) {
            subs.push(id);
        }
    }

    pub fn unsubscribe(&mut self, channel: &Bytes, id: u64) {
        if let Some(subs) = self.channels.get_mut(channel) {
            subs.retain(|&x| x != id);
            if subs.is_empty() {
                self.channels.remove(channel);
            }
        }
    }

    pub fn psubscribe(&mut self, pattern: &Bytes, id: u64) {
        let subs = self.patterns.entry(pattern.clone()).or_default();
        if !subs.contains(&id) {
            subs.push(id);
        }
    }

    pub fn punsubscribe(&mut self, pattern: &Bytes, id: u64) {
        if let Some(subs) = self.patterns.get_mut(pattern) {
            subs.retain(|&x| x != id);
            if subs.is_empty() {
                self.patterns.remove(pattern);
            }
        }
    }

    /// Delivers `message` on `channel`; returns the number of receivers and, if the publisher itself
    /// is a receiver, the bytes to write to it.
    pub fn publish(
        &self,
        clients: &HashMap<u64, ClientHandle>,
        channel: &[u8],
        message: &[u8],
        self_id: Option<u64>,
    ) -> (i64, Vec<Bytes>) {
        let mut count = 0;
        let mut to_self = Vec::new();
        let mut encoded: [Option<Bytes>; 2] = [None, None];
        if let Some(subs) = self.channels.get(channel) {
            let msg = Reply::Push(vec![
                Reply::bulk("message"),
                Reply::bulk(channel),
                Reply::bulk(message),
            ]);
            for id in subs {
                if let Some(c) = clients.get(id) {
                    let i = usize::from(c.resp >= 3);
                    let bytes = encoded[i]
                        .get_or_insert_with(|| msg.to_bytes(c.resp))
                        .clone();
                    if Some(*id) == self_id {
                        to_self.push(bytes);
                    } else {
                        c.send(Outbound::Data(bytes));
                    }
                    count += 1;
                }
            }
        }
        for (pattern, subs) in &self.patterns {
            if !crate::glob::matches(pattern, channel, false) {
                continue;
            }
            let msg = Reply::Push(vec![
                Reply::bulk("pmessage"),
                Reply::Bulk(pattern.clone()),
                Reply::bulk(channel),
                Reply::bulk(message),
            ]);
            for id in subs {
                if let Some(c) = clients.get(id) {
                    let bytes = msg.to_bytes(c.resp);
                    if Some(*id) == self_id {
                        to_self.push(bytes);
                    } else {
                        c.send(Outbound::Data(bytes));
                    }
                    count += 1;
                }
            }
        }
        (count, to_self)
    }
}
