import type { Command } from "commander";
import { registerApply } from "./apply.js";
import { registerBuild } from "./build.js";
import { registerCheck } from "./check.js";
import { registerCompletion } from "./completion.js";
import { registerDiff } from "./diff.js";
import { registerEval } from "./eval.js";
import { registerLog } from "./log.js";
import { registerInfo, registerMachines } from "./info.js";
import { registerFlow } from "./flow.js";
import { registerFmt } from "./fmt.js";
import { registerLsp } from "./lsp.js";
import { registerPlan } from "./plan.js";
import { registerExec, registerPing, registerReboot, registerSsh } from "./remote.js";
import { registerRollback } from "./rollback.js";
import { registerStatus } from "./status.js";
import { registerVerify } from "./verify.js";
import { registerWhy } from "./why.js";

/** Each command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerApply(program);
  registerRollback(program);
  registerPlan(program);
  registerDiff(program);
  registerBuild(program);
  registerCheck(program);
  registerEval(program);
  registerWhy(program);
  registerStatus(program);
  registerVerify(program);
  registerLog(program);
  registerInfo(program);
  registerMachines(program);
  registerPing(program);
  registerExec(program);
  registerReboot(program);
  registerSsh(program);
  registerFlow(program);
  registerFmt(program);
  registerCompletion(program);
  registerLsp(program);
}
