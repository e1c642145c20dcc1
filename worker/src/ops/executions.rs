//! StartPipelineExecution, GetPipelineExecution, ListPipelineExecutions, and
//! the execution record a webhook delivery starts.

use serde_json::{json, Value};

use super::{decode_next_token, encode_next_token, Checks};
use crate::api::{ApiError, Ctx, OpResult};
use crate::ids;
use crate::store::{PipelineRecord, PipelineSnapshot, Store, StoreResult};

/// Why an execution started (the model's ExecutionTrigger).
pub struct Trigger<'a> {
    pub trigger_type: &'a str,
    pub detail: &'a str,
}

/// The revision a source action saw: (action name, revision id).
pub struct Source<'a> {
    pub action: &'a str,
    pub revision: &'a str,
}

/// The pipeline an execution belongs to, as of one incarnation and version.
pub struct Target<'a> {
    pub name: &'a str,
    pub incarnation: &'a str,
    pub version: i64,
    pub execution_mode: &'a str,
}

impl<'a> Target<'a> {
    pub fn of_record(name: &'a str, record: &'a PipelineRecord) -> Self {
        Self {
            name,
            incarnation: &record.incarnation,
            version: record.version(),
            execution_mode: record.execution_mode(),
        }
    }

    pub fn of_snapshot(name: &'a str, snapshot: &'a PipelineSnapshot) -> Self {
        Self {
            name,
            incarnation: &snapshot.incarnation,
            version: snapshot.version,
            execution_mode: &snapshot.execution_mode,
        }
    }
}

/// Records a new InProgress execution of `pipeline` and returns its id.
/// Nothing runs it: this service stores executions, it does not build.
pub async fn record_execution(
    store: &Store,
    now_ms: u64,
    pipeline: Target<'_>,
    trigger: Trigger<'_>,
    source: Option<Source<'_>>,
) -> StoreResult<String> {
    let id = ids::execution_id(now_ms);
    record_execution_as(store, &id, now_ms, pipeline, trigger, source).await?;
    Ok(id)
}

/// Records the InProgress execution `id`, started at `now_ms`.
async fn record_execution_as(
    store: &Store,
    id: &str,
    now_ms: u64,
    pipeline: Target<'_>,
    trigger: Trigger<'_>,
    source: Option<Source<'_>>,
) -> StoreResult<()> {
    let now = now_ms as f64 / 1000.0;
    let pipeline_name = pipeline.name;
    let version = pipeline.version;
    let mode = pipeline.execution_mode;
    let trigger = json!({"triggerType": trigger.trigger_type, "triggerDetail": trigger.detail});
    let (source_revisions, artifact_revisions) = match source {
        Some(s) => {
            // Model bound; a summary also has to fit KV's 1 KB of metadata.
            let revision: String = s.revision.chars().take(200).collect();
            (
                json!([{"actionName": s.action, "revisionId": revision}]),
                json!([{"name": s.action, "revisionId": revision, "created": now}]),
            )
        }
        None => (json!([]), json!([])),
    };
    let execution = json!({
        "pipelineName": pipeline_name,
        "pipelineVersion": version,
        "pipelineExecutionId": id,
        "status": "InProgress",
        "artifactRevisions": artifact_revisions,
        "trigger": trigger,
        "executionMode": mode,
        "executionType": "STANDARD",
    });
    let summary = json!({
        "pipelineExecutionId": id,
        "status": "InProgress",
        "startTime": now,
        "lastUpdateTime": now,
        "sourceRevisions": source_revisions,
        "trigger": trigger,
        "executionMode": mode,
        "executionType": "STANDARD",
    });
    store.put_execution(pipeline_name, pipeline.incarnation, id, now_ms, &execution, summary).await
}

pub async fn start_pipeline_execution(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let name = checks.name(&input, "name");
    let token = checks.string(&input, "clientRequestToken", false, 1, 128);
    if let Some(t) = token.as_deref().filter(|t| !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')) {
        checks.problem(pipehook::Problem::constraint(
            "clientRequestToken",
            Some(t),
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-]+$",
        ));
    }
    checks.finish()?;
    let name = name.unwrap_or_default();
    let Some(pipeline) = ctx.store.pipeline(&name).await? else {
        return Err(super::pipelines::not_found(ctx, &name));
    };
    let detail = format!("arn:aws:iam::{}:user/{}", ctx.account, ctx.caller);
    let trigger = Trigger { trigger_type: "StartPipelineExecution", detail: &detail };
    let target = Target::of_record(&name, &pipeline);
    // The same clientRequestToken answers the execution it started the first time. The
    // token is stored before the execution, so a retry after a failure between the two
    // finds the id and records the execution it names: one token, one execution.
    if let Some(t) = &token {
        if let Some(id) = ctx.store.client_token(&name, &pipeline.incarnation, t).await? {
            if ctx.store.execution(&name, &pipeline.incarnation, &id).await?.is_none() {
                let started = ids::execution_id_time(&id).unwrap_or(ctx.now_ms);
                record_execution_as(&ctx.store, &id, started, target, trigger, None).await?;
            }
            return Ok(json!({ "pipelineExecutionId": id }));
        }
    }
    let id = ids::execution_id(ctx.now_ms);
    if let Some(t) = &token {
        ctx.store.put_client_token(&name, &pipeline.incarnation, t, &id).await?;
    }
    record_execution_as(&ctx.store, &id, ctx.now_ms, target, trigger, None).await?;
    Ok(json!({ "pipelineExecutionId": id }))
}

pub async fn get_pipeline_execution(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let name = checks.name(&input, "pipelineName");
    let id = checks.string(&input, "pipelineExecutionId", true, 1, 100);
    if let Some(id) = id.as_deref().filter(|id| !is_uuid(id)) {
        checks.problem(pipehook::Problem::constraint(
            "pipelineExecutionId",
            Some(id),
            "Member must satisfy regular expression pattern: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ));
    }
    checks.finish()?;
    let (name, id) = (name.unwrap_or_default(), id.unwrap_or_default());
    let Some(pipeline) = ctx.store.pipeline(&name).await? else {
        return Err(super::pipelines::not_found(ctx, &name));
    };
    match ctx.store.execution(&name, &pipeline.incarnation, &id).await? {
        Some(execution) => Ok(json!({ "pipelineExecution": execution })),
        None => Err(ApiError::PipelineExecutionNotFoundException(format!(
            "Pipeline execution '{id}' of pipeline '{name}' not found"
        ))),
    }
}

pub async fn list_pipeline_executions(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let name = checks.name(&input, "pipelineName");
    let max = checks.int(&input, "maxResults", 1, 100);
    let token = checks.string(&input, "nextToken", false, 1, 2048);
    checks.finish()?;
    let name = name.unwrap_or_default();
    let cursor = decode_next_token("executions", token)?;
    let Some(pipeline) = ctx.store.pipeline(&name).await? else {
        return Err(super::pipelines::not_found(ctx, &name));
    };
    let page =
        ctx.store.list_executions(&name, &pipeline.incarnation, max.unwrap_or(100) as u64, cursor).await?;
    let mut out = json!({ "pipelineExecutionSummaries": page.items });
    if let Some(next) = encode_next_token("executions", page.next) {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}
