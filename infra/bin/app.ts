#!/usr/bin/env node
// Entry point of `npx cdk synth|deploy` (cdk.json "app"): context comes from cdk.json and -c.
import { buildApp } from '../lib/app.js';

buildApp().app.synth();
