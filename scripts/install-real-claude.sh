#!/usr/bin/env bash
# Installs the real Claude Code CLI (the newest that declares Node 20 support) outside the
# repository, for the end-to-end tests in test/e2e/ that run it against a loopback stand-in
# of the Messages API. It is no dependency of agent-hub: users bring their own `claude`.
set -euo pipefail
VERSION=2.1.197
DIR="${AGENT_HUB_CLAUDE_CACHE:-$HOME/.cache/agent-hub/claude-code-$VERSION}"
if [ -x "$DIR/node_modules/.bin/claude" ]; then echo "$DIR/node_modules/.bin/claude"; exit 0; fi
mkdir -p "$DIR"
npm install --prefix "$DIR" --no-audit --no-fund --no-save "@anthropic-ai/claude-code@$VERSION" >&2
echo "$DIR/node_modules/.bin/claude"
