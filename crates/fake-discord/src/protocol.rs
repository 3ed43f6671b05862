//! Discord's protocol numbers, named. Values are those of API v10
//! (<https://discord.com/developers/docs>); only the ones the fake or its tests use are listed.

/// Gateway opcodes (`op` of a gateway frame).
pub mod opcode {
    /// An event (`t`, `s`, `d`) sent by the server.
    pub const DISPATCH: u64 = 0;
    /// Client heartbeat.
    pub const HEARTBEAT: u64 = 1;
    /// Client starts a new session.
    pub const IDENTIFY: u64 = 2;
    /// Client resumes a session.
    pub const RESUME: u64 = 6;
    /// Server asks the client to reconnect and resume.
    pub const RECONNECT: u64 = 7;
    /// Server says the session is invalid; `d` tells whether it can be resumed.
    pub const INVALID_SESSION: u64 = 9;
    /// First frame from the server, with the heartbeat interval.
    pub const HELLO: u64 = 10;
    /// Server acknowledges a heartbeat.
    pub const HEARTBEAT_ACK: u64 = 11;
}

/// Interaction types (`type` of an interaction).
pub mod interaction_type {
    /// Slash command, user or message context menu.
    pub const APPLICATION_COMMAND: u64 = 2;
    /// Button click or select-menu choice.
    pub const MESSAGE_COMPONENT: u64 = 3;
    /// Autocomplete request for a command option.
    pub const APPLICATION_COMMAND_AUTOCOMPLETE: u64 = 4;
    /// Modal submission.
    pub const MODAL_SUBMIT: u64 = 5;
}

/// Interaction callback types (`type` of `POST /interactions/{id}/{token}/callback`).
pub mod callback {
    /// Acknowledge a ping.
    pub const PONG: u64 = 1;
    /// Respond with a message.
    pub const CHANNEL_MESSAGE_WITH_SOURCE: u64 = 4;
    /// Acknowledge now, send the message later (the user sees "thinking…").
    pub const DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: u64 = 5;
    /// Components: acknowledge now, edit the message later.
    pub const DEFERRED_UPDATE_MESSAGE: u64 = 6;
    /// Components: edit the message the component is attached to.
    pub const UPDATE_MESSAGE: u64 = 7;
    /// Autocomplete choices.
    pub const APPLICATION_COMMAND_AUTOCOMPLETE_RESULT: u64 = 8;
    /// Open a modal.
    pub const MODAL: u64 = 9;
    /// Deprecated premium upsell.
    pub const PREMIUM_REQUIRED: u64 = 10;
    /// Launch the app's activity.
    pub const LAUNCH_ACTIVITY: u64 = 12;
    /// Every type Discord accepts.
    pub const ALL: [u64; 9] = [
        PONG,
        CHANNEL_MESSAGE_WITH_SOURCE,
        DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
        DEFERRED_UPDATE_MESSAGE,
        UPDATE_MESSAGE,
        APPLICATION_COMMAND_AUTOCOMPLETE_RESULT,
        MODAL,
        PREMIUM_REQUIRED,
        LAUNCH_ACTIVITY,
    ];
}

/// Application command types (`data.type` of a command interaction, `type` of a command).
pub mod command_type {
    /// Slash command.
    pub const CHAT_INPUT: u64 = 1;
    /// Message context-menu command.
    pub const MESSAGE: u64 = 3;
}

/// Application command option types.
pub mod option_type {
    /// A string option.
    pub const STRING: u64 = 3;
    /// An integer option.
    pub const INTEGER: u64 = 4;
    /// A boolean option.
    pub const BOOLEAN: u64 = 5;
    /// An attachment option: its value is an id in `data.resolved.attachments`.
    pub const ATTACHMENT: u64 = 11;
}

/// Message component types.
pub mod component_type {
    /// A row holding other components.
    pub const ACTION_ROW: u64 = 1;
    /// A button.
    pub const BUTTON: u64 = 2;
    /// A string select menu.
    pub const STRING_SELECT: u64 = 3;
    /// A text input (in modals).
    pub const TEXT_INPUT: u64 = 4;
}

/// Message types (`type` of a Message object).
pub mod message_type {
    /// An ordinary message.
    pub const DEFAULT: u64 = 0;
    /// A reply (has `message_reference`).
    pub const REPLY: u64 = 19;
    /// The response to a slash command.
    pub const CHAT_INPUT_COMMAND: u64 = 20;
}

/// Message flags (`flags` of a Message object or message body).
pub mod message_flags {
    /// No link previews; the only flag an edit may change.
    pub const SUPPRESS_EMBEDS: u64 = 1 << 2;
    /// Only the invoking user sees the message.
    pub const EPHEMERAL: u64 = 1 << 6;
    /// A deferred response that has not been filled yet ("thinking…").
    pub const LOADING: u64 = 1 << 7;
}

/// Channel types.
pub mod channel_type {
    /// A text channel in a guild.
    pub const GUILD_TEXT: u64 = 0;
}

/// Permission bits.
pub mod permission {
    /// `ADMINISTRATOR`.
    pub const ADMINISTRATOR: u64 = 1 << 3;
    /// `MANAGE_GUILD`.
    pub const MANAGE_GUILD: u64 = 1 << 5;
    /// `ADD_REACTIONS`.
    pub const ADD_REACTIONS: u64 = 1 << 6;
    /// `VIEW_CHANNEL`.
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    /// `SEND_MESSAGES`.
    pub const SEND_MESSAGES: u64 = 1 << 11;
    /// `EMBED_LINKS`.
    pub const EMBED_LINKS: u64 = 1 << 14;
    /// `ATTACH_FILES`.
    pub const ATTACH_FILES: u64 = 1 << 15;
    /// `READ_MESSAGE_HISTORY`.
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    /// `MENTION_EVERYONE`.
    pub const MENTION_EVERYONE: u64 = 1 << 17;
    /// `USE_EXTERNAL_EMOJIS`.
    pub const USE_EXTERNAL_EMOJIS: u64 = 1 << 18;
    /// `USE_APPLICATION_COMMANDS`.
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    /// `SEND_MESSAGES_IN_THREADS`.
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
}

/// JSON error codes (`code` of an error body).
pub mod error_code {
    /// Unknown Channel.
    pub const UNKNOWN_CHANNEL: u64 = 10003;
    /// Unknown Message.
    pub const UNKNOWN_MESSAGE: u64 = 10008;
    /// Unknown User.
    pub const UNKNOWN_USER: u64 = 10013;
    /// Unknown Webhook.
    pub const UNKNOWN_WEBHOOK: u64 = 10015;
    /// Unknown interaction (also: answered after the 3 s deadline).
    pub const UNKNOWN_INTERACTION: u64 = 10062;
    /// Interaction has already been acknowledged.
    pub const ALREADY_ACKNOWLEDGED: u64 = 40060;
    /// Cannot send an empty message.
    pub const EMPTY_MESSAGE: u64 = 50006;
    /// Invalid Form Body (details in `errors`).
    pub const INVALID_FORM_BODY: u64 = 50035;
}
