//! PipelineDeclaration checks for the fields a webhook relies on. (stub: owned by the Worker work)
