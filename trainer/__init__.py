"""A GRPO trainer (TRL) that scores every generation batch on the reward service over HTTP.

`trainer.client` talks to the service, `trainer.rewards` holds the TRL reward functions,
`trainer.data` builds datasets and prompts, `trainer.model` loads models, `trainer.cli` runs
`grpo-train` and `grpo-eval`. Importing this package imports no ML library.
"""
