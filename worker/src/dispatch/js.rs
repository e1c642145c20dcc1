//! The JavaScript the dispatch path calls: the queue bindings (producer `send`, a batch's
//! messages, `ack`, `retry`) and the outbound POST. Duck-typed on purpose: a binding is used
//! through the methods Cloudflare documents, so a test harness may wrap one (to inject a
//! fault) without imitating its class.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = "
export function bindingWith(env, name, method) {
  const b = env[name];
  return b && typeof b[method] === 'function' ? b : undefined;
}
export function sendText(queue, text) {
  return queue.send(text, { contentType: 'json' });
}
export function batchMessages(batch) {
  return Array.from(batch.messages);
}
export function messageText(m) {
  return typeof m.body === 'string' ? m.body : JSON.stringify(m.body);
}
export function messageAttempts(m) {
  return typeof m.attempts === 'number' ? m.attempts : 1;
}
export function ackMessage(m) {
  m.ack();
}
export function retryMessage(m, delaySeconds) {
  m.retry({ delaySeconds });
}
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
export async function post(url, headers, body, timeoutMs, maxBytes) {
  let res;
  try {
    res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const name = e && e.name;
    return { timedOut: name === 'TimeoutError' || name === 'AbortError', error: String((e && e.message) || e) };
  }
  let text = '';
  try {
    if (res.body) {
      const reader = res.body.getReader();
      const chunks = [];
      let n = 0;
      while (n < maxBytes) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        n += value.byteLength;
      }
      reader.cancel().catch(() => {});
      const all = new Uint8Array(n);
      let at = 0;
      for (const c of chunks) { all.set(c, at); at += c.byteLength; }
      text = new TextDecoder().decode(all.subarray(0, maxBytes));
    }
  } catch (e) {
    // An answer whose body breaks off: its status is what counts.
  }
  return { status: res.status, text };
}
")]
extern "C" {
    #[wasm_bindgen(js_name = bindingWith)]
    pub fn binding_with(env: &JsValue, name: &str, method: &str) -> JsValue;
    #[wasm_bindgen(js_name = sendText, catch)]
    fn send_text(queue: &JsValue, text: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_name = batchMessages, catch)]
    pub fn batch_messages(batch: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(js_name = messageText, catch)]
    pub fn message_text(message: &JsValue) -> Result<String, JsValue>;
    #[wasm_bindgen(js_name = messageAttempts)]
    pub fn message_attempts(message: &JsValue) -> u32;
    #[wasm_bindgen(js_name = ackMessage, catch)]
    pub fn ack(message: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = retryMessage, catch)]
    pub fn retry(message: &JsValue, delay_seconds: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = sleep)]
    fn sleep_promise(ms: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = post)]
    fn post_promise(url: &str, headers: &Object, body: &str, timeout_ms: u32, max_bytes: u32) -> js_sys::Promise;
}

/// A queue binding (`env[name]`) with a `send` method, if the Worker has one.
pub fn queue(env: &JsValue, name: &str) -> Option<JsValue> {
    let binding = binding_with(env, name, "send");
    (!binding.is_undefined()).then_some(binding)
}

/// Sends one message (JSON text); the runtime's error text when it is refused.
pub async fn send(queue: &JsValue, text: &str) -> Result<(), String> {
    let promise = send_text(queue, text).map_err(|e| error_text(&e))?;
    JsFuture::from(promise).await.map(drop).map_err(|e| error_text(&e))
}

pub async fn sleep(ms: u32) {
    let _ = JsFuture::from(sleep_promise(ms)).await;
}

/// What came back from a POST.
pub enum Posted {
    Answered { status: u16, text: String },
    TimedOut,
    Failed(String),
}

/// POSTs `body` with `headers`, redirects not followed, giving up after `timeout_ms`; reads at
/// most `max_bytes` of the answer.
pub async fn post(url: &str, headers: &[(String, String)], body: &str, timeout_ms: u32, max_bytes: u32) -> Posted {
    let init = Object::new();
    for (name, value) in headers {
        let _ = Reflect::set(&init, &JsValue::from_str(name), &JsValue::from_str(value));
    }
    let result = match JsFuture::from(post_promise(url, &init, body, timeout_ms, max_bytes)).await {
        Ok(r) => r,
        Err(e) => return Posted::Failed(error_text(&e)),
    };
    let get = |name: &str| Reflect::get(&result, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    if let Some(status) = get("status").as_f64() {
        return Posted::Answered { status: status as u16, text: get("text").as_string().unwrap_or_default() };
    }
    if get("timedOut").is_truthy() {
        return Posted::TimedOut;
    }
    Posted::Failed(get("error").as_string().unwrap_or_else(|| "the request failed".into()))
}

pub fn error_text(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| Reflect::get(e, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| "unknown error".into())
}

/// A console line (structured, one JSON object), for `wrangler tail` and the dashboard.
pub fn log(line: &serde_json::Value) {
    web_sys_console_log(&line.to_string());
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    fn web_sys_console_log(s: &str);
}
