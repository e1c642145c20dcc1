//! Validation of arbitrary text: every problem reported, never a panic; what validates
//! validates again as it is stored; a SecretToken never echoed in a problem; the pipeline
//! checks and the secret masking on the same JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match pipehook::validate_text(&text, None) {
        Ok(valid) => {
            let stored = serde_json::to_value(valid.webhook.definition()).expect("a definition serialises");
            assert!(pipehook::validate_webhook_definition(&stored, None).is_ok(), "{stored}");
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            assert!(problems.iter().all(|p| !p.message.is_empty()));
            assert!(pipehook::aws_error(&problems).is_some());
            // A SecretToken that appears once in the input never shows in a problem.
            let secret = serde_json::from_str::<Value>(&text).ok().and_then(|v| {
                v.pointer("/webhook/authenticationConfiguration/SecretToken")
                    .or_else(|| v.pointer("/authenticationConfiguration/SecretToken"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            if let Some(s) = secret.filter(|s| s.len() >= 8 && text.matches(s.as_str()).count() == 1) {
                assert!(problems.iter().all(|p| !p.message.contains(&s)), "{problems:?}");
            }
        }
    }
    if let Ok(value) = serde_json::from_str::<Value>(&text) {
        let _ = pipehook::pipeline::validate_pipeline(&value);
        let _ = pipehook::pipeline::validate_tags(&value, "tags");
        let mut masked = value.clone();
        pipehook::secrets::mask_pipeline(&mut masked);
        let mut twice = masked.clone();
        pipehook::secrets::mask_pipeline(&mut twice);
        assert_eq!(masked, twice);
        let mut kept = masked.clone();
        pipehook::secrets::keep_masked(&mut kept, &value);
        pipehook::secrets::mask_pipeline(&mut kept);
        assert_eq!(kept, masked, "keeping a secret never changes what is answered");
    }
});
