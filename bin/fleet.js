#!/usr/bin/env node
import "../dist/fleet.mjs";
