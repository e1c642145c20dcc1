// Example inputs for the "Load example" buttons.

export const exampleDefinition = {
  webhook: {
    name: "my-pipeline-github",
    targetPipeline: "my-pipeline",
    targetAction: "Source",
    filters: [{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }],
    authentication: "GITHUB_HMAC",
    authenticationConfiguration: { SecretToken: "replace-with-a-long-random-secret" },
  },
  tags: [{ key: "team", value: "platform" }],
};

// What `aws codepipeline get-pipeline --name my-pipeline` prints for a GitHub (version 1) source.
export const examplePipeline = {
  pipeline: {
    name: "my-pipeline",
    roleArn: "arn:aws:iam::111122223333:role/service-role/AWSCodePipelineServiceRole-my-pipeline",
    artifactStore: { type: "S3", location: "codepipeline-us-east-1-111122223333" },
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: "Source",
            actionTypeId: { category: "Source", owner: "ThirdParty", provider: "GitHub", version: "1" },
            runOrder: 1,
            configuration: {
              Owner: "octo-org",
              Repo: "octo-repo",
              Branch: "master",
              OAuthToken: "****",
              PollForSourceChanges: "false",
            },
            outputArtifacts: [{ name: "SourceArtifact" }],
            inputArtifacts: [],
          },
        ],
      },
      {
        name: "Build",
        actions: [
          {
            name: "Build",
            actionTypeId: { category: "Build", owner: "AWS", provider: "CodeBuild", version: "1" },
            runOrder: 1,
            configuration: { ProjectName: "my-project" },
            outputArtifacts: [{ name: "BuildArtifact" }],
            inputArtifacts: [{ name: "SourceArtifact" }],
          },
        ],
      },
    ],
    version: 1,
  },
  metadata: {
    pipelineArn: "arn:aws:codepipeline:us-east-1:111122223333:my-pipeline",
    created: 1700000000.0,
    updated: 1700000000.0,
  },
};

// The GitHub sample events the payload picker offers (copies of octokit/webhooks
// fixtures under samples/, MIT licence in samples/LICENSE) and the event header each carries.
export const samples = [
  { id: "push-tag-deleted", file: "push.payload.json", event: "push", label: "push: tag simple-tag deleted (refs/tags/simple-tag)" },
  { id: "push-new-branch", file: "push.with-new-branch.payload.json", event: "push", label: "push: new branch master (refs/heads/master)" },
  { id: "delete-tag", file: "delete.payload.json", event: "delete", label: "delete: tag simple-tag" },
  { id: "ping", file: "ping.payload.json", event: "ping", label: "ping" },
  { id: "pull-request-opened", file: "pull_request.opened.payload.json", event: "pull_request", label: "pull_request: opened (changes into master)" },
  { id: "release-published", file: "release.published.payload.json", event: "release", label: "release: published (0.0.1)" },
];
