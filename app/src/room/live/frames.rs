//! How each server frame changes an open room's state, and what it asks of the page.

use super::change::{Effect, Reduced};
use super::{ConnectionStatus, Live, Move};
use crate::model::{ChatMessage, Seat};
use crate::protocol::{ClientFrame, ErrorCode, ServerFrame};
use leptos::prelude::*;

/// How long a typing hint stays after the last `typing` frame.
pub const TYPING_SHOWN_MS: u64 = 3_000;

impl Live {
    /// Applies a server frame received at `local_now` while the tab is `hidden` or not. Only
    /// through [`Live::dispatch`], which also leaves when the frame says the room is over.
    pub(super) fn apply(&self, frame: ServerFrame, local_now: u64, hidden: bool) -> Reduced {
        match frame {
            ServerFrame::Welcome { you, now, peers, recovered, locked, .. } => {
                self.clock_offset.set(offset(now, local_now));
                self.write.locked.set(locked);
                self.note_online(peers.iter().cloned().chain([you.clone()]).collect(), &you);
                self.write.you.set(Some(you));
                self.write.connection.set(ConnectionStatus::Connected);
                // What is in flight is sent again (the server stores each client id once).
                let mut effects: Vec<Effect> = self.log.with_untracked(|log| {
                    log.in_flight()
                        .map(|(client_id, body)| {
                            let (client_id, body) = (client_id.to_owned(), body.to_owned());
                            Effect::Send(ClientFrame::Send { client_id, body })
                        })
                        .collect()
                });
                if !recovered {
                    effects.push(Effect::ReloadHistory);
                }
                effects.push(Effect::Open);
                (effects, None)
            }
            ServerFrame::Message(message) => {
                self.receive(message, hidden);
                (vec![Effect::Open], None)
            }
            ServerFrame::Presence { online } => {
                if let Some(you) = self.you.get_untracked() {
                    self.note_online(online, &you);
                }
                (vec![Effect::Open], None)
            }
            ServerFrame::Typing { sender } => {
                if !self.is_you(&sender) {
                    self.write.typing.set(Some((sender, local_now + TYPING_SHOWN_MS)));
                }
                (Vec::new(), None)
            }
            ServerFrame::Joined { seat } => {
                if self.is_you(&seat) {
                    return (Vec::new(), None);
                }
                self.write.peers.update(|peers| {
                    if !peers.iter().any(|peer| peer.id == seat.id) {
                        peers.push(seat.clone());
                    }
                });
                self.moved(seat, Move::Joined, local_now);
                // Its name is opened for the line that says so.
                (vec![Effect::Open], None)
            }
            ServerFrame::Left { seat } => {
                self.departed_seat(seat, Move::Left, local_now);
                (Vec::new(), None)
            }
            ServerFrame::Removed { seat } => {
                self.departed_seat(seat, Move::Removed, local_now);
                (Vec::new(), None)
            }
            ServerFrame::Locked { locked } => {
                self.write.locked.set(locked);
                (Vec::new(), None)
            }
            ServerFrame::Ended { reason } => (Vec::new(), Some(reason.home_query())),
            ServerFrame::Error { code, message } => {
                let text = match code {
                    ErrorCode::BadFrame => "Burner did not understand the last frame.".into(),
                    _ => message,
                };
                self.write.notice.set(Some(text));
                (Vec::new(), None)
            }
        }
    }

    /// Notes that `seat` came or went, heard at `local_now`.
    fn moved(&self, seat: Seat, kind: Move, local_now: u64) {
        let after = self.log.with_untracked(|log| log.last_seq());
        let at = self.server_now(local_now);
        self.write.movements.update(|moves| {
            let nth = moves.len() as u64 + 1;
            moves.push(super::Movement { seat, kind, after, at, nth });
        });
    }

    /// `seat` is no longer in the room (`kind`: it left, or was removed): its seat is free.
    fn departed_seat(&self, seat: Seat, kind: Move, local_now: u64) {
        if !self.is_you(&seat) {
            self.moved(seat.clone(), kind, local_now);
        }
        self.departed.update_value(|gone| gone.push(seat.id.clone()));
        self.write.peers.update(|peers| peers.retain(|peer| peer.id != seat.id));
        self.write.online.update(|online| online.retain(|peer| peer.id != seat.id));
        self.write.seated.update(|seated| *seated = seated.saturating_sub(1));
    }

    fn receive(&self, message: ChatMessage, hidden: bool) {
        let from_other = !self.is_you(&message.sender);
        let sender = message.sender.id.clone();
        let you = self.you.get_untracked().map(|seat| seat.id);
        let is_new =
            self.write.log.try_update(|log| log.receive(message, you.as_deref())).unwrap_or(false);
        if is_new && from_other {
            let typed =
                |t: &Option<(Seat, u64)>| t.as_ref().is_some_and(|(who, _)| who.id == sender);
            if self.typing.with_untracked(typed) {
                self.write.typing.set(None);
            }
            if hidden {
                self.write.unread.update(|n| *n += 1);
            }
        }
    }

    fn note_online(&self, mut online: Vec<Seat>, you: &Seat) {
        self.departed.with_value(|gone| online.retain(|seat| !gone.contains(&seat.id)));
        online.sort_by(|a, b| a.id.cmp(&b.id));
        online.dedup_by(|a, b| a.id == b.id);
        self.write.peers.update(|peers| {
            for seat in online.iter().filter(|s| s.id != you.id) {
                if !peers.iter().any(|p| p.id == seat.id) {
                    peers.push(seat.clone());
                }
            }
        });
        self.write.online.set(online);
    }

    /// Seats seen in this room whose sealed names are not opened yet.
    #[cfg(any(feature = "hydrate", test))]
    pub fn sealed_names(&self) -> Vec<Seat> {
        let mut seats: Vec<Seat> = self.peers.get_untracked();
        seats.extend(self.you.get_untracked());
        seats.extend(self.typing.get_untracked().map(|(seat, _)| seat));
        self.movements.with_untracked(|moves| seats.extend(moves.iter().map(|m| m.seat.clone())));
        self.log
            .with_untracked(|log| seats.extend(log.entries().map(|e| e.message.sender.clone())));
        self.names.with_untracked(|names| {
            let mut sealed: Vec<Seat> =
                seats.into_iter().filter(|seat| !names.contains_key(seat)).collect();
            sealed.sort_by(|a, b| (&a.id, &a.name).cmp(&(&b.id, &b.name)));
            sealed.dedup();
            sealed
        })
    }

    /// The server's idea of "now", from this browser's clock and the last known offset.
    pub fn server_now(&self, local_now: u64) -> u64 {
        local_now.saturating_add_signed(self.clock_offset.get_untracked())
    }
}

fn offset(server_now: u64, local_now: u64) -> i64 {
    i64::try_from(server_now).unwrap_or(0) - i64::try_from(local_now).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EndReason;
    use crate::room::chat_log::Revealed;
    use crate::room::live::Change;
    use crate::room::live::fixture::{live, seat};

    fn welcome(recovered: bool) -> ServerFrame {
        ServerFrame::Welcome {
            you: seat("me"),
            seq: 0,
            expires_at: 100_000,
            now: 2_000,
            peers: vec![seat("peer")],
            recovered,
            locked: false,
        }
    }

    fn message(seq: u64, sender: &str, client_id: &str) -> ServerFrame {
        ServerFrame::Message(ChatMessage {
            seq,
            id: format!("m{seq}"),
            client_id: client_id.into(),
            sender: seat(sender),
            body: "sealed".into(),
            ts: 0,
        })
    }

    #[test]
    fn welcome_connects_corrects_the_clock_and_resends_what_is_in_flight() {
        let live = live();
        assert_eq!(live.clock_offset.get_untracked(), 0);
        live.write.log.update(|log| {
            log.queue("c1".into(), "hello".into(), 0);
            log.sealed_as("c1", "sealed hello".into());
        });
        let (effects, _) = live.apply(welcome(true), 1_000, false);
        let resend = ClientFrame::Send { client_id: "c1".into(), body: "sealed hello".into() };
        assert_eq!(effects, [Effect::Send(resend), Effect::Open]);
        assert_eq!(live.connection.get_untracked(), ConnectionStatus::Connected);
        assert_eq!(live.clock_offset.get_untracked(), 1_000);
        assert_eq!(live.server_now(5_000), 6_000);
        assert_eq!(live.you.get_untracked(), Some(seat("me")));
        assert_eq!(live.online.get_untracked(), vec![seat("me"), seat("peer")]);
        assert_eq!(live.peers.get_untracked(), vec![seat("peer")]);
    }

    #[test]
    fn an_unrecovered_welcome_asks_for_a_history_reload() {
        let (effects, _) = live().apply(welcome(false), 0, false);
        assert_eq!(effects, [Effect::ReloadHistory, Effect::Open]);
    }

    #[test]
    fn messages_from_others_in_a_hidden_tab_count_as_unread_but_your_own_do_not() {
        let live = live();
        live.apply(welcome(true), 0, false);
        live.apply(message(1, "peer", "a"), 0, true);
        live.apply(message(1, "peer", "a"), 0, true);
        live.apply(message(2, "me", "b"), 0, true);
        live.apply(message(3, "peer", "c"), 0, false);
        assert_eq!(live.unread.get_untracked(), 1);
        assert_eq!(live.log.with_untracked(|l| l.last_seq()), 3);
    }

    #[test]
    fn someone_else_typing_is_shown_for_a_while_and_you_are_not() {
        let live = live();
        live.apply(welcome(true), 0, false);
        live.apply(ServerFrame::Typing { sender: seat("me") }, 10, false);
        assert_eq!(live.typing.get_untracked(), None);
        live.apply(ServerFrame::Typing { sender: seat("peer") }, 10, false);
        assert_eq!(live.typing.get_untracked(), Some((seat("peer"), 10 + TYPING_SHOWN_MS)));
        live.apply(message(1, "peer", "x"), 20, false);
        assert_eq!(live.typing.get_untracked(), None, "their message replaces the hint");
    }

    #[test]
    fn ended_leaves_for_the_matching_banner() {
        let ended = ServerFrame::Ended { reason: EndReason::Destroyed };
        let live = live();
        assert_eq!(
            live.dispatch(Change::Frame { frame: ended, local_now: 0, hidden: false }),
            [Effect::Leave]
        );
        assert_eq!(live.leave_to.get_untracked().as_deref(), Some("/?destroyed=1"));
    }

    #[test]
    fn who_comes_and_goes_is_noted_after_the_newest_message_by_the_server_clock() {
        let live = live();
        live.apply(welcome(true), 1_000, false);
        live.apply(message(1, "peer", "a"), 1_000, false);
        let (effects, _) = live.apply(ServerFrame::Joined { seat: seat("new") }, 3_000, false);
        assert_eq!(effects, [Effect::Open], "its name is opened for the line");
        assert!(live.peers.get_untracked().contains(&seat("new")));
        assert!(live.sealed_names().contains(&seat("new")));
        live.apply(message(2, "new", "b"), 3_000, false);
        live.apply(ServerFrame::Left { seat: seat("peer") }, 4_000, false);
        live.apply(ServerFrame::Removed { seat: seat("new") }, 5_000, false);
        // Your own coming and going is no news to you.
        live.apply(ServerFrame::Joined { seat: seat("me") }, 4_000, false);
        let moves: Vec<_> = live
            .movements
            .get_untracked()
            .into_iter()
            .map(|m| (m.seat.id, m.kind, m.after, m.at, m.nth))
            .collect();
        // The welcome said the server's clock was 1 000 ms ahead (2 000 at 1 000).
        assert_eq!(
            moves,
            [
                ("new".into(), Move::Joined, 1, 4_000, 1),
                ("peer".into(), Move::Left, 2, 5_000, 2),
                ("new".into(), Move::Removed, 2, 6_000, 3),
            ]
        );
        assert!(live.peers.get_untracked().is_empty(), "the removed member is gone");
        assert_eq!(live.seated.get_untracked(), 0);
    }

    #[test]
    fn a_peer_who_goes_offline_is_still_known_as_a_peer() {
        let live = live();
        live.apply(welcome(true), 0, false);
        live.apply(ServerFrame::Presence { online: vec![seat("me")] }, 0, false);
        assert_eq!(live.online.get_untracked(), vec![seat("me")]);
        assert_eq!(live.peers.get_untracked(), vec![seat("peer")]);
    }

    #[test]
    fn a_peer_who_leaves_is_gone_and_their_seat_free() {
        let live = live();
        live.apply(welcome(true), 0, false);
        assert_eq!(live.seated.get_untracked(), 1);
        live.apply(ServerFrame::Left { seat: seat("peer") }, 0, false);
        assert_eq!(live.peers.get_untracked(), Vec::<Seat>::new(), "not away: gone");
        assert!(!live.online.get_untracked().contains(&seat("peer")));
        assert_eq!(live.seated.get_untracked(), 0);
        // A presence frame sent before the seat was given back, arriving after: still gone.
        live.apply(ServerFrame::Presence { online: vec![seat("me"), seat("peer")] }, 0, false);
        assert_eq!(live.peers.get_untracked(), Vec::<Seat>::new(), "a late presence frame");
        assert_eq!(live.online.get_untracked(), vec![seat("me")]);
    }

    #[test]
    fn two_people_with_one_name_are_told_apart_and_a_disguised_name_is_never_shown() {
        let live = live();
        live.apply(welcome(true), 0, false);
        let bob = Seat { id: "bobseat1".into(), name: "sealed bob 1".into() };
        let twin = Seat { id: "twinseat".into(), name: "sealed bob 2".into() };
        live.write.peers.set(vec![bob.clone(), twin.clone()]);
        live.write.names.update(|n| {
            n.insert(bob.clone(), Revealed::Text("bob".into()));
            n.insert(twin.clone(), Revealed::Text("bob".into()));
            n.insert(seat("peer"), Revealed::Text("eve\u{202E}".into()));
        });
        assert_eq!(live.name_of(&bob), "bob #bobs");
        assert_eq!(live.name_of(&twin), "bob #twin");
        assert_eq!(live.name_of(&seat("peer")), "Unreadable name");
        assert_eq!(live.name_of(&seat("unknown")), "…");
        assert!(live.sealed_names().contains(&seat("me")));
    }

    #[test]
    fn a_look_alike_removed_before_writing_anything_is_still_told_apart_from_the_line_about_it() {
        let live = live();
        live.apply(welcome(true), 0, false);
        live.apply(ServerFrame::Joined { seat: seat("twin") }, 3_000, false);
        live.write.names.update(|n| {
            n.insert(seat("peer"), Revealed::Text("bob".into()));
            n.insert(seat("twin"), Revealed::Text("b\u{043E}b".into()));
        });
        live.apply(ServerFrame::Removed { seat: seat("twin") }, 4_000, false);
        assert!(!live.peers.get_untracked().contains(&seat("twin")), "gone");
        // Only the lines "bоb joined" and "bоb was removed" name the twin now: bob stays tagged.
        assert_eq!(live.name_of(&seat("peer")), "bob #peer");
        assert_eq!(live.name_of(&seat("twin")), "b\u{043E}b #twin");
    }

    #[test]
    fn a_look_alike_is_tagged_even_when_it_is_only_in_the_history() {
        let live = live();
        live.apply(welcome(true), 0, false);
        // "gone" wrote once and left: not a peer any more, only a sender in the history.
        live.apply(message(1, "gone", "c1"), 0, false);
        live.write.names.update(|n| {
            n.insert(seat("gone"), Revealed::Text("b\u{043E}b".into()));
            n.insert(seat("peer"), Revealed::Text("bob".into()));
            n.insert(seat("me"), Revealed::Text("alice".into()));
        });
        assert_eq!(live.name_of(&seat("peer")), "bob #peer", "a Cyrillic о makes no new name");
        assert_eq!(live.name_of(&seat("gone")), "b\u{043E}b #gone");
        assert_eq!(live.name_of(&seat("me")), "alice", "a name like no other is shown as it is");
    }
}
