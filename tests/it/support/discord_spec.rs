//! Checks recorded REST requests against Discord's own OpenAPI description of its HTTP API
//! (`discord/discord-api-spec`, read at run time from `../shared/discord-api-spec/openapi.json`
//! or `COVERAGE_DISCORD_SPEC`; never copied here). Each request must match a documented route,
//! and its JSON body the `requestBody` schema of that route and method.

use std::path::PathBuf;

use fake_discord::RecordedRequest;
use jsonschema::{Draft, Registry, Validator};
use serde_json::{json, Value};

/// The base the spec is registered under: its own `#/components/...` references resolve
/// against it, and nothing is ever fetched (`offline`).
const SPEC_URI: &str = "https://discord-api-spec.invalid/openapi.json";

/// Where the spec is read from.
pub fn spec_path() -> PathBuf {
    std::env::var_os("COVERAGE_DISCORD_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/discord-api-spec/openapi.json")
        })
}

/// Discord's description, ready to check requests.
pub struct DiscordSpec {
    spec: Value,
    registry: Registry<'static>,
    /// Path templates without the `/api/v10` server prefix, split into segments.
    templates: Vec<(String, Vec<String>)>,
}

/// Two places where serenity 0.12 sends what Discord accepts but its description does not
/// list: an upload's placeholder attachment id as the integer `0` (the description has a
/// snowflake string) and a command's `default_member_permissions` as a decimal string (the
/// description has an integer). The in-memory copy of the description accepts both forms there;
/// every other field is checked as Discord describes it.
fn accept_serenitys_known_forms(spec: &mut Value) {
    let schemas = &mut spec["components"]["schemas"];
    if let Some(id) = schemas["MessageAttachmentRequest"]["properties"].get_mut("id") {
        *id = json!({"anyOf": [id.clone(), {"type": "integer", "minimum": 0}]});
    }
    for name in [
        "ApplicationCommandUpdateRequest",
        "ApplicationCommandCreateRequest",
    ] {
        if let Some(p) = schemas[name]["properties"].get_mut("default_member_permissions") {
            *p = json!({"anyOf": [p.clone(), {"type": "string", "pattern": "^[0-9]+$"}]});
        }
    }
}

impl DiscordSpec {
    /// Reads the spec; a missing file fails the test with the way to provide it.
    pub fn load() -> DiscordSpec {
        let path = spec_path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "Discord's OpenAPI description is needed at {} ({e}); set COVERAGE_DISCORD_SPEC",
                path.display()
            )
        });
        let mut spec: Value = serde_json::from_str(&text).expect("the spec is JSON");
        accept_serenitys_known_forms(&mut spec);
        let templates = spec["paths"]
            .as_object()
            .expect("the spec has paths")
            .keys()
            .map(|t| {
                (
                    t.clone(),
                    t.trim_matches('/').split('/').map(String::from).collect(),
                )
            })
            .collect();
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .add(SPEC_URI, spec.clone())
            .expect("the spec registers")
            .prepare()
            .expect("the spec's references resolve");
        DiscordSpec {
            spec,
            registry,
            templates,
        }
    }

    /// The documented route of a request path: among the templates with as many segments whose
    /// literal segments match, the most literal one (`@original` before `{message_id}`).
    pub fn template(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path
            .trim_start_matches("/api/v10")
            .trim_matches('/')
            .split('/')
            .collect();
        self.templates
            .iter()
            .filter(|(_, t)| {
                t.len() == segments.len()
                    && t.iter()
                        .zip(&segments)
                        .all(|(t, s)| t.starts_with('{') || t == s)
            })
            .max_by_key(|(_, t)| t.iter().filter(|s| !s.starts_with('{')).count())
            .map(|(template, _)| template.as_str())
    }

    /// What is wrong with one request, as Discord describes its API; empty when nothing is.
    pub fn violations(&self, request: &RecordedRequest) -> Vec<String> {
        let what = format!("{} {}", request.method, request.path);
        let Some(template) = self.template(&request.path) else {
            return vec![format!("{what}: no such route in Discord's API")];
        };
        let method = request.method.to_ascii_lowercase();
        let operation = &self.spec["paths"][template][method.as_str()];
        if operation.is_null() {
            return vec![format!("{what}: {template} has no {method}")];
        }
        let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
        if schema.is_null() {
            return if request.body.is_null() {
                Vec::new()
            } else {
                vec![format!("{what}: a body where Discord takes none")]
            };
        }
        let pointer = template.replace('~', "~0").replace('/', "~1");
        let pointer = pointer.replace('{', "%7B").replace('}', "%7D");
        let reference = format!(
            "{SPEC_URI}#/paths/{pointer}/{method}/requestBody/content/application~1json/schema"
        );
        let validator: Validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&self.registry)
            .offline()
            .should_validate_formats(true)
            .build(&json!({ "$ref": reference }))
            .unwrap_or_else(|e| panic!("{what}: the schema of {template} does not build: {e}"));
        validator
            .iter_errors(&request.body)
            .map(|e| format!("{what}: {e} at {}", e.instance_path()))
            .collect()
    }

    /// Every request of `requests` that Discord's description refuses, with why.
    pub fn all_violations(&self, requests: &[RecordedRequest]) -> Vec<String> {
        requests.iter().flat_map(|r| self.violations(r)).collect()
    }
}
