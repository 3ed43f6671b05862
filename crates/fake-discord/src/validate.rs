//! Payload validation: message bodies and autocomplete choices are checked against Discord's
//! documented limits (content 2000, 10 embeds of 6000 characters in all, title 256, description
//! 4096, 25 fields of 256/1024, footer 2048, 5 rows of 5 components, custom ids 100, labels 80,
//! 25 choices of 100), and refused with 400 / 50035 and Discord's nested `errors`, or 400 / 50006
//! for an empty message.

use serde_json::{json, Map, Value};

use crate::protocol::error_code;
use crate::rest::{Reply, Upload};
use crate::store::FakeState;

fn chars(v: Option<&Value>) -> usize {
    v.and_then(Value::as_str).map_or(0, |s| s.chars().count())
}

/// Inserts an error at a dotted path into Discord's nested `errors` object.
fn push_error(errors: &mut Map<String, Value>, path: &str, code: &str, message: &str) {
    let mut cur = errors;
    for part in path.split('.') {
        cur = cur
            .entry(part.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("error tree nodes are objects");
    }
    let list = cur.entry("_errors").or_insert_with(|| json!([]));
    if let Some(list) = list.as_array_mut() {
        list.push(json!({"code": code, "message": message}));
    }
}

fn check_len(errors: &mut Map<String, Value>, v: Option<&Value>, max: usize, path: &str) {
    if chars(v) > max {
        push_error(
            errors,
            path,
            "BASE_TYPE_MAX_LENGTH",
            &format!("Must be {max} or fewer in length."),
        );
    }
}

/// Checks a message body against Discord's limits. `in_data` nests error paths under `data`
/// (interaction callbacks).
pub(crate) fn validate_message(
    st: &FakeState,
    body: &Value,
    uploads: &[Upload],
    is_create: bool,
    in_data: bool,
) -> Result<(), Reply> {
    if !st.strict {
        return Ok(());
    }
    let mut errors = Map::new();
    check_len(&mut errors, body.get("content"), 2000, "content");
    check_embeds(&mut errors, body);
    check_components(&mut errors, body);
    if errors.is_empty() && is_create {
        let has = |k: &str| {
            body.get(k).is_some_and(|v| match v {
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Null => false,
                _ => true,
            })
        };
        if !(has("content")
            || has("embeds")
            || has("components")
            || has("sticker_ids")
            || has("poll")
            || !uploads.is_empty())
        {
            return Err(Reply::error(
                400,
                error_code::EMPTY_MESSAGE,
                "Cannot send an empty message",
            ));
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    let errors = if in_data {
        json!({ "data": errors })
    } else {
        Value::Object(errors)
    };
    Err(Reply::json(
        400,
        json!({"message": "Invalid Form Body", "code": error_code::INVALID_FORM_BODY, "errors": errors}),
    ))
}

/// Embeds: at most 10, per-field limits, 6000 characters in all.
fn check_embeds(errors: &mut Map<String, Value>, body: &Value) {
    let embeds = body
        .get("embeds")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if embeds.len() > 10 {
        push_error(
            errors,
            "embeds",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 10 or fewer in length.",
        );
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let p = format!("embeds.{i}");
        check_len(errors, e.get("title"), 256, &format!("{p}.title"));
        check_len(
            errors,
            e.get("description"),
            4096,
            &format!("{p}.description"),
        );
        check_len(
            errors,
            e.pointer("/footer/text"),
            2048,
            &format!("{p}.footer.text"),
        );
        check_len(
            errors,
            e.pointer("/author/name"),
            256,
            &format!("{p}.author.name"),
        );
        total += chars(e.get("title"))
            + chars(e.get("description"))
            + chars(e.pointer("/footer/text"))
            + chars(e.pointer("/author/name"));
        let fields = e
            .get("fields")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if fields.len() > 25 {
            push_error(
                errors,
                &format!("{p}.fields"),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            );
        }
        for (j, f) in fields.iter().enumerate() {
            let fp = format!("{p}.fields.{j}");
            check_len(errors, f.get("name"), 256, &format!("{fp}.name"));
            check_len(errors, f.get("value"), 1024, &format!("{fp}.value"));
            if chars(f.get("name")) == 0 {
                push_error(
                    errors,
                    &format!("{fp}.name"),
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                );
            }
            if chars(f.get("value")) == 0 {
                push_error(
                    errors,
                    &format!("{fp}.value"),
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                );
            }
            total += chars(f.get("name")) + chars(f.get("value"));
        }
    }
    if total > 6000 {
        push_error(
            errors,
            "embeds",
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
        );
    }
}

/// Components: at most 5 rows of 5, custom ids and labels.
fn check_components(errors: &mut Map<String, Value>, body: &Value) {
    let rows = body
        .get("components")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if rows.len() > 5 {
        push_error(
            errors,
            "components",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 5 or fewer in length.",
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let comps = row
            .get("components")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if comps.len() > 5 {
            push_error(
                errors,
                &format!("components.{i}.components"),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 5 or fewer in length.",
            );
        }
        for (j, c) in comps.iter().enumerate() {
            let cp = format!("components.{i}.components.{j}");
            check_len(errors, c.get("custom_id"), 100, &format!("{cp}.custom_id"));
            check_len(errors, c.get("label"), 80, &format!("{cp}.label"));
        }
    }
}

pub(crate) fn validate_choices(st: &FakeState, data: &Value) -> Result<(), Reply> {
    if !st.strict {
        return Ok(());
    }
    let mut errors = Map::new();
    let choices = data
        .get("choices")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if choices.len() > 25 {
        push_error(
            &mut errors,
            "data.choices",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        );
    }
    for (i, c) in choices.iter().enumerate() {
        check_len(
            &mut errors,
            c.get("name"),
            100,
            &format!("data.choices.{i}.name"),
        );
        if c.get("value").is_some_and(Value::is_string) {
            check_len(
                &mut errors,
                c.get("value"),
                100,
                &format!("data.choices.{i}.value"),
            );
        }
        if chars(c.get("name")) == 0 {
            push_error(
                &mut errors,
                &format!("data.choices.{i}.name"),
                "BASE_TYPE_MIN_LENGTH",
                "Must be between 1 and 100 in length.",
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Reply::json(
            400,
            json!({"message": "Invalid Form Body", "code": error_code::INVALID_FORM_BODY, "errors": errors}),
        ))
    }
}
