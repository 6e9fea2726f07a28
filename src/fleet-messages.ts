/**
 * Every operational error's text, in one place (as src/lang/messages.ts is for the language):
 * what went wrong in the world or in how fleet was called, as opposed to a located diagnostic.
 * Each entry is a `FleetErrorCode`; it returns the message, the SPEC §1.5 code shown as
 * `[E12] …` when one applies, and the hint. Messages are one sentence, name the thing and say
 * what to do (ADR 212). Grouped by the room that raises them.
 */

/** What a catalogue entry says; `FleetError` carries it. */
export interface FleetErrorText {
  readonly id: FleetErrorCode;
  /** The SPEC §1.5 code (`E12`, `ARTIFACT-CYCLE`, …) shown before the message, when one applies. */
  readonly code?: string;
  readonly message: string;
  readonly hint?: string;
}

type Entry = (...args: never[]) => { readonly code?: string; readonly message: string; readonly hint?: string };

const catalogue = {
  // plan/
  rolloutFlagsNeedWaves: (given: string) => ({ message: `${given} need(s) waves: give --waves (e.g. --waves 1,10%) or a rollout record in the Fleet module` }),
  onlyNeedsSelector: () => ({ message: `--only needs at least one machine, stack or @tag` }),
  onlyMatchesNoHost: (unknown: string, names: string, tags: string) => ({ message: `--only: no host matches ${unknown}; known names: ${names}; known tags: ${tags}` }),

  // transport/
  lockHeldByPid: (what: string, pid: number, host: string, startedAt: string, lockFile: string) => ({ message: `${what} is locked by pid ${pid} on host ${host} since ${startedAt}; wait for it to finish`, hint: `if no fleet process is running there, remove ${lockFile}` }),
  lockKeptChangingHands: (what: string) => ({ message: `${what} is locked: the lock changed hands repeatedly while acquiring it; try again` }),
  targetDirNameUnusable: (target: string, name: string) => ({ message: `target ${target} maps to an unusable directory name '${name}' under --transport-root` }),
  targetDirNameTooLong: (target: string, name: number) => ({ message: `target ${target} maps to a directory name of ${name} bytes under --transport-root, more than the 255 a file name may have; shorten it` }),
  transportRootAbsolutePass: (root: string) => ({ message: `transport root '${root}' is not absolute; pass an absolute directory` }),
  symlinkInHostFolder: (at: string, to: string, root: string) => ({ message: `${at} is a symlink (to ${to}) inside the host's folder ${root}; fleet never follows a symlink there, so nothing was changed; replace it with a real directory or file` }),
  ioFailed: (what: string, value: string) => ({ message: `${what}: ${value}` }),
  targetPathAbsoluteTarget: (path: string) => ({ message: `target path '${path}' is not absolute; target paths must start with '/'` }),
  targetPathEscapesTarget: (path: string) => ({ message: `target path '${path}' escapes the target root; remove '..' from it` }),
  symlinkFileInHostFolder: (path: string, root: string) => ({ message: `${path} is a symlink inside the host's folder ${root}; fleet never follows a symlink there; replace it with the real file` }),
  sshConfigSuchFile: (explicit: string) => ({ message: `--ssh-config ${explicit}: no such file; give an OpenSSH client configuration file, or none` }),
  errorCannotReadSsh: (where: string, path: string, code: string) => ({ message: `${where}: error: cannot read SSH configuration ${path} (${code})` }),
  errorIncludeNestedToo: (where: string) => ({ message: `${where}: error: Include nested too deeply (a loop?)` }),
  errorIncludeWildcardDirectory: (where: string) => ({ message: `${where}: error: Include with a wildcard in a directory name is not supported; name the directory` }),
  errorIncludeAvailableHere: (where: string) => ({ message: `${where}: error: Include is not available here` }),
  errorSshConfiguration: (file: string, line: number, why: string) => ({ message: `${file}:${line}: error: ${why} in SSH configuration` }),
  errorNeedsValue: (where: string, param: string) => ({ message: `${where}: error: ${param} needs a value` }),
  errorMatchBlocksAre: (where: string) => ({ message: `${where}: error: Match blocks are not supported by fleet; use Host blocks, or --ssh-config none` }),
  sshConfigError: (where: string, bad: string) => ({ message: `${where}: error: ${bad}` }),
  proxyjumpUserHostPort: (where: string, spec: string) => ({ message: `${where}: ProxyJump '${spec}' is not [user@]host[:port]; fix that line of the SSH configuration` }),
  tooManyHops: (MAX_HOPS: number, target: string, where: string) => ({ message: `more than ${MAX_HOPS} hops to reach ${target} (${where}: a ProxyJump loop?); fix ProxyJump in the SSH configuration` }),
  proxycommandSupportedFleetUse: (where: string, label: string) => ({ message: `${where}: ProxyCommand is not supported by fleet (${label}); use ProxyJump` }),
  stricthostkeycheckingRefusedFleetNever: (where: string, label: string) => ({ message: `${where}: StrictHostKeyChecking no is refused for ${label}: fleet never trusts an unchecked host key; use accept-new (or --accept-new-host-keys) to record new keys` }),
  cannotReadKeyPass: (path: string, code: string) => ({ message: `cannot read key ${path} (${code}); pass --key with a readable private key file` }),
  keyPassphraseProtectedUse: (path: string) => ({ message: `key ${path} is passphrase-protected; use ssh-agent` }),
  keyUsablePrivateKey: (path: string, message: string) => ({ message: `key ${path} is not a usable private key (${message}); pass an unencrypted ed25519 or RSA key` }),
  cannotReachThroughConnection: (hop: string, viaHop: string, connectTimeoutMs: number) => ({ message: `cannot reach ${hop} through ${viaHop}: no connection within ${connectTimeoutMs} ms; check HostName and Port in the SSH configuration or raise --connect-timeout` }),
  cannotReachThroughCheck: (hop: string, viaHop: string, why: string) => ({ message: `cannot reach ${hop} through ${viaHop}: ${why}; check HostName and Port in the SSH configuration` }),
  noSshKey: (hop: string, why: string) => ({ message: `no SSH key for ${hop}${why}: pass --key or start ssh-agent (SSH_AUTH_SOCK)` }),
  connectionClosedDuringSsh: (hop: string) => ({ message: `connection to ${hop} closed during the SSH handshake; check that sshd is running there` }),
  refusedPublickeyAuthenticationFailed: (name: string, authWith: string) => ({ message: `${name} refused ${authWith} (publickey authentication failed); authorise its public key for that user or pass another --key` }),
  cannotReachSshSession: (name: string, connectTimeoutMs: number) => ({ message: `cannot reach ${name}: no SSH session within ${connectTimeoutMs} ms; check the host and port or raise --connect-timeout` }),
  cannotConnectConnectionRefused: (name: string) => ({ message: `cannot connect to ${name}: connection refused; check that sshd listens on that port` }),
  cannotConnect: (name: string, message: string) => ({ message: `cannot connect to ${name}: ${message}` }),
  sudoAsksPasswordAllow: (target: string, user: string) => ({ message: `sudo on ${target} asks ${user} for a password; allow passwordless sudo for ${user} (a NOPASSWD rule in /etc/sudoers.d/) or deploy this host without sudo` }),
  mayUseSudoAdd: (user: string, target: string) => ({ message: `${user} may not use sudo on ${target}; add a NOPASSWD rule for ${user} in /etc/sudoers.d/ or deploy this host without sudo` }),
  sudoInstalledInstallAllow: (target: string, user: string) => ({ message: `sudo is not installed on ${target}; install it and allow ${user} passwordless sudo, or deploy this host without sudo` }),
  cannotStartRootShell: (target: string, why: string, user: string) => ({ message: `cannot start a root shell with 'sudo -n' on ${target} (${why}); allow ${user} passwordless sudo or deploy this host without sudo` }),
  connectionDroppedDuringNext: (target: string, dropped: string | undefined, during: string) => ({ message: `connection to ${target} dropped (${dropped}) during ${during}; the next apply or rollback finishes it` }),
  notADirectoryOnTarget: (what: string, target: string, path: string) => ({ message: `${what} on ${target}: ${path} is not a directory; remove it` }),
  failedOnTarget: (what: string, target: string, value: string) => ({ message: `${what} on ${target}: ${value}` }),
  cannotStartBinSh: (target: string, why: string) => ({ message: `cannot start /bin/sh on ${target}: ${why}; the target needs /bin/sh and coreutils` }),
  commandNeverStartedTarget: (what: string, target: string, said: string) => ({ message: `${what} on ${target}: the command never started (${said}); the target needs /bin/sh and coreutils` }),
  homeAbsolutePath: (sudo: string, target: string, h: string) => ({ message: `$HOME of ${sudo} on ${target} is not an absolute path ('${h}')` }),
  hashingManagedFilesGave: (target: string) => ({ message: `hashing managed files on ${target} gave unexpected output (a file changed meanwhile?); re-run` }),
  checkingStorePathsGave: (target: string, value: number, value2: number) => ({ message: `checking store paths on ${target} gave ${value} answers for ${value2} paths; re-run` }),
  environmentVariableNameValid: (k: string, target: string) => ({ message: `environment variable name '${k}' is not valid for a command on ${target}` }),
  lockHeld: (what: string, by: string) => ({ message: `${what} is locked by ${by}; wait for it to finish` }),
  cannotLock: (dir: string, target: string, msg: string) => ({ message: `cannot lock ${dir} on ${target}: ${msg}` }),
  pathContainsNulByte: (p: string) => ({ message: `path ${p} contains a NUL byte` }),
  hostRecordsDisagreeSudo: (target: string) => ({ message: `host records for '${target}' disagree on sudo; give every record of that target the same 'sudo' value` }),
  targetsBothMapUnder: (other: string, target: string, dir: string) => ({ message: `targets '${other}' and '${target}' both map to '${dir}' under --transport-root; make them differ` }),
  keySuchFileGive: (key: string) => ({ message: `--key ${key}: no such file; give the path of an SSH private key` }),
  transportRootCannotUse: (root: string, code: string) => ({ message: `--transport-root ${root}: cannot use it (${code})` }),
  transportRootDirectoryGive: (root: string) => ({ message: `--transport-root ${root} is not a directory; give a directory (it is created when missing)` }),
  serverRefusedShell: (target: string, message: string) => ({ message: `${target}: the server refused a shell (${message})` }),

  // transport/ — built from other parts
  badTarget: (problem: string) => ({ message: problem }),
  hostKeyRefused: (refusal: string) => ({ message: refusal }),
  cannotResolveJumpHost: (name: string) => ({ message: `cannot resolve the host of ${name}; check its HostName` }),
  cannotResolveTarget: (target: string) => ({ message: `cannot resolve the host of ${target}; check the target's host name or its HostName in the SSH configuration` }),

  // store/
  buildFailed: (describe: string, how: string, shown: string) => ({ message: `build of ${describe} failed: its command ${how}${shown}`, hint: "fix the package's command and build again; nothing of the failed build was kept" }),
  rootNotAbsolute: (origin: string, raw: string) => ({ message: `${origin} '${raw}' is not an absolute path; give an absolute path or one starting with '~/'` }),
  localSourceMissing: (describe: string, abs: string) => ({ message: `${describe}: local source '${abs}' does not exist; create it or fix the source path` }),
  localSourceEntryUnsupported: (describe: string, abs: string) => ({ message: `${describe}: local source entry '${abs}' is not a file, directory or symlink; remove it from the source tree` }),
  packageModuleMissing: (root: string) => ({ code: "E7", message: `package module '${root}' does not exist; define it or fix the module name that refers to it` }),
  fetchHttpStatus: (describe: string, url: string, status: number) => ({ message: `${describe}: fetching ${url} failed with HTTP ${status}; check the url` }),
  fetchFailed: (describe: string, url: string, why: string) => ({ message: `${describe}: fetching ${url} failed (${why}); check the url and the network` }),
  sourceHashMismatch: (url: string, sha256: string, actual: string, describe: string) => ({ code: "E10", message: `source hash mismatch for ${url}: expected sha256 ${sha256}, got ${actual}`, hint: `if the new content is trusted, set sha256 = "${actual}" in ${describe}` }),
  tarballEntryOutsideRoot: (describe: string, name: string) => ({ message: `${describe} has entry '${name}' outside its root; refusing to unpack it` }),
  tarballEntryTypeUnsupported: (describe: string, name: string, type: string) => ({ message: `${describe} has entry '${name}' of type ${type}, which fleet does not unpack` }),
  cannotUnpackTarball: (describe: string, value: string) => ({ message: `${describe} could not be unpacked (${value}); check that it is a valid tarball` }),
  tarballWritesThroughNonDirectory: (describe: string, path: string) => ({ message: `${describe} writes through '${path}', which is not a directory; refusing to unpack it` }),
  storeRootNotAbsolute: (storeRoot: string) => ({ message: `store root '${storeRoot}' is not absolute; resolve it with resolveRoot first` }),
  storePathNotBuildable: (final: string) => ({ message: `store path ${final} is missing and this closure does not say how to build it; rebuild from the PCL files` }),
  buildReplacedOut: (describe: string) => ({ message: `build of ${describe} did not leave $out as a directory; create files inside "$out" instead of replacing it` }),
  localSourceChanged: (describe: string, declared: string) => ({ message: `${describe}: local source '${declared}' changed after its hash was computed; run the build again` }),

  // manifest/
  manifestCorrupt: (where: string, why: string) => ({ message: `manifest ${where} is corrupt (${why}); restore it from a backup or remove the stack's deployments directory and apply again` }),
  currentLinkNotAGeneration: (dir: string, link: string) => ({ message: `${dir} points at '${link}', not at a gen-NNN.json file; repoint it at the last good generation` }),
  manifestNotRegularFile: (path: string, type: string) => ({ message: `manifest ${path} is ${type}; fleet reads only the regular gen-NNN.json files it wrote; restore the original file` }),
  manifestMissing: (path: string, dir: string) => ({ message: `manifest ${path} is missing; restore it or repoint ${dir}` }),
  manifestWrongGeneration: (path: string, generation: number, n: number) => ({ message: `manifest ${path} says it is generation ${generation}, not ${n}; restore the original file` }),
  pendingMarkerCorrupt: (dir: string) => ({ message: `the pending marker ${dir} is corrupt; check the stack's files by hand, then remove it` }),

  // stack/
  // stack/ — composing a stack module (FieldReader.fail and the composers)
  unsupportedBackend: (stack: string, backend: string, supported: string) => ({ message: `stack '${stack}' uses backend '${backend}', which is not supported; supported backends: ${supported}` }),
  storeModuleNotPackage: (where: string, name: string) => ({ message: `${where} names '${name}', which is not a package module; define 'module ${name}' with a recipe or fix the name` }),
  serviceTwice: (stack: string, service: string) => ({ code: "E3", message: `stack '${stack}' defines service '${service}' twice; rename or remove one` }),
  restartTriggerNotConfigFile: (trigger: string, service: string, stack: string) => ({ message: `restart trigger '${trigger}' of service '${service}' in stack '${stack}' is not a path of the stack's configFiles; list one of its configFiles paths` }),
  notPositiveSeconds: (where: string, n: number) => ({ message: `${where} is ${n}; give a positive number of seconds` }),
  tlsDomainsMissing: (where: string) => ({ message: `${where} is missing; list the domains, e.g. domains = ["www.example.com"]` }),
  stackTlsDomainNotHostname: (domain: string, stack: string) => ({ message: `TLS domain '${domain}' of stack '${stack}' is not a plain hostname; use a name such as 'www.example.com' (no scheme, port, path or wildcard)` }),
  tlsDomainTwice: (stack: string, domain: string) => ({ code: "E3", message: `stack '${stack}' lists TLS domain '${domain}' twice; remove one` }),
  artifactNameInvalid: (name: string, stack: string) => ({ message: `artifact name '${name}' of stack '${stack}' is not valid; use letters, digits, '_', '.' and '-'` }),
  artifactTwice: (stack: string, name: string) => ({ code: "E3", message: `stack '${stack}' declares artifact '${name}' twice; rename or remove one` }),
  literalArtifactNoValue: (name: string, stack: string) => ({ message: `literal artifact '${name}' of stack '${stack}' has no 'value'; add one` }),
  tlsaArtifactNoCert: (name: string, stack: string) => ({ message: `tlsa artifact '${name}' of stack '${stack}' has no 'fromCert'; name the TLS domain whose certificate it digests` }),
  tlsaCertNotHostname: (name: string, stack: string, cert: string) => ({ message: `tlsa artifact '${name}' of stack '${stack}' reads certificate '${cert}', which is not a plain hostname; name a domain such as 'www.example.com'` }),
  artifactKindUnsupported: (name: string, stack: string, kind: string, kinds: string) => ({ message: `artifact '${name}' of stack '${stack}' has kind '${kind}', which is not supported; supported kinds: ${kinds}` }),
  healthCheckNoKind: (where: string) => ({ message: `${where} has no check; give one of 'command', 'systemd' or 'url'` }),
  healthCheckKinds: (where: string, given: string) => ({ message: `${where} gives ${given}; give exactly one of 'command', 'systemd' or 'url'` }),
  expectedStatusNotUrl: (where: string) => ({ message: `${where} only applies to a 'url' check; remove it` }),
  healthUnitInvalid: (where: string, unit: string) => ({ message: `${where} names '${unit}', which is not a unit name` }),
  healthNoUnits: (where: string) => ({ message: `${where} lists no unit; name the units that must be active` }),
  healthUrlInvalid: (where: string, url: string) => ({ message: `${where} is '${url}'; give an http URL on the target's loopback, e.g. 'http://127.0.0.1:8080/health'` }),
  healthCheckTwice: (stack: string, name: string) => ({ code: "E3", message: `stack '${stack}' declares health check '${name}' twice; rename or remove one` }),
  secretNotAllowed: (ref: string, where: string) => ({ message: `secret reference ${ref} cannot be used in ${where}; secrets may only be service environment values or the whole content of a config file` }),
  fieldWrongType: (where: string, expected: string, got: string) => ({ message: `${where} must be ${expected}, not ${got}; fix its value` }),
  fieldMissing: (where: string) => ({ message: `${where} is missing; add it` }),
  artifactRefNotAllowed: (where: string) => ({ message: `${where} cannot hold an artifact reference; write a literal string` }),
  serviceNameInvalid: (name: string, stack: string) => ({ message: `service name '${name}' in stack '${stack}' is not a valid unit name; use letters, digits, '_', '.', ':' and '-'` }),
  servicePackageNotPackage: (service: string, stack: string, pkg: string) => ({ message: `service '${service}' of stack '${stack}' names package '${pkg}', which is not a package module; define 'module ${pkg}' with a recipe or fix the name` }),
  binaryNotFileName: (where: string, binary: string) => ({ message: `${where} must be a file name inside the package's bin/ (got '${binary}'); drop any path` }),
  dependsOnInvalid: (where: string, dep: string) => ({ message: `${where} names '${dep}', which is not a unit name; name a service of this stack or a systemd unit` }),
  dependsOnSelf: (service: string, stack: string) => ({ message: `service '${service}' of stack '${stack}' depends on itself; remove it from its dependsOn` }),
  envNameInvalid: (key: string, service: string, stack: string) => ({ message: `environment variable name '${key}' of service '${service}' in stack '${stack}' is not valid; use letters, digits and '_', not starting with a digit` }),
  directiveReserved: (where: string, reserved: string) => ({ message: `${where} is written by fleet itself; ${reserved}` }),
  directiveNameInvalid: (where: string) => ({ message: `${where} is not a systemd directive name; write it as systemd spells it, e.g. 'RestartSec'` }),
  directiveLineBreak: (where: string) => ({ message: `${where} contains a line break, which would inject unit lines; write it on one line` }),
  stackField: (message: string, code?: string) => ({ ...(code !== undefined ? { code } : {}), message }),
  secretsNotSet: (keys: string) => ({ code: "E11", message: `secret(s) not set: ${keys}`, hint: "set each listed environment variable, file or --vault-secrets entry and apply again" }),
  tlsDomainNotHostname: (domain: string) => ({ message: `TLS domain '${domain}' is not a plain hostname; use a name such as 'www.example.com'` }),
  tlsFilesMissing: (missing: string, list: string) => ({ message: `TLS file${missing} ${list} not found in the --tls-certs directory; add the certificate chain and key for each domain` }),
  noPemCertificate: (what: string) => ({ message: `${what} holds no PEM certificate; supply a PEM-encoded fullchain.pem` }),
  notAnX509Certificate: (what: string) => ({ message: `${what} does not start with a valid X.509 certificate; supply a PEM-encoded fullchain.pem` }),
  stackModuleNotDefined: (stackName: string, modules: string) => ({ code: "E2", message: `stack module '${stackName}' is not defined; ${modules}` }),
  moduleNotAStack: (stackName: string, modules: string) => ({ message: `module '${stackName}' is not a stack (it has no 'backend' field); ${modules}` }),
  vaultNotFlatObject: (displayName: string, why: string) => ({ message: `${displayName} is not a flat JSON object of strings (${why}); write it as {"ref": "value", …}` }),
  artifactHasNoValue: (id: string, machine: string, artifact: string) => ({ code: "ARTIFACT-MISSING", message: `artifact '${id}' has no value; machine '${machine}' must declare and deploy an artifact named '${artifact}' first` }),
  tlsaNeedsTlsCerts: (name: string, name2: string, rel: string) => ({ message: `tlsa artifact '${name}' of stack '${name2}' needs '${rel}'; pass --tls-certs DIR` }),
  tlsaCertificateMissing: (name: string, name2: string, rel: string) => ({ message: `tlsa artifact '${name}' of stack '${name2}' needs '${rel}', which is not in the --tls-certs directory; add the certificate chain` }),
  systemdValueHasNul: (what: string) => ({ message: `${what} contains a NUL character, which systemd cannot represent; remove it` }),
  serviceConfigHasLineBreak: (key: string, where: string) => ({ message: `serviceConfig.${key} of ${where} contains a line break after completing its artifacts; make the value a single line` }),

  // load/
  noSuchFleetFile: (fleetFile: string) => ({ message: `no such file: ${fleetFile}` }),
  fleetFileNotAFile: (fleetFile: string) => ({ message: `not a file: ${fleetFile}` }),
  noFleetModule: (path: string) => ({ code: "E14", message: `${path} defines no 'module Fleet'; a fleet file needs one with a 'hosts' list` }),
  scenarioNotDefined: (s: string) => ({ message: `no evaluated file defines scenario '${s}'` }),
  artifactCycleAmongHosts: (name: string) => ({ code: "ARTIFACT-CYCLE", message: `artifact cycle among hosts: ${name}` }),

  // deploy/
  vaultFileMissing: (file: string) => ({ message: `--vault-secrets file '${file}' does not exist` }),
  vaultFileNotRegular: (file: string) => ({ message: `--vault-secrets '${file}' is not a regular file; give the JSON export file` }),
  vaultFileUnreadable: (file: string, value: string) => ({ message: `--vault-secrets file '${file}' cannot be read: ${value}` }),
  secretFileUnreadable: (abs: string, why: string) => ({ code: "E11", message: `secret from_file:${abs} cannot be read: ${why}`, hint: `point from_file at a regular file of at most 1 MiB` }),
  storedContentDamaged: (path: string, blobPath: string, blob: string) => ({ message: `stored content of ${path} (${blobPath}) is ${blob}; apply again to rewrite it` }),
  obstaclesInTheWay: (problems: string, more: string) => ({ message: `cannot deploy: ${problems}${more}; remove what is in the way, nothing was written` }),
  cannotRecover: (operation: string, dir: string, to: string, from: string) => ({ message: `cannot recover the interrupted ${operation} in ${dir}: neither ${to} nor ${from} is readable; restore a manifest by hand` }),
  pathNotNormalised: (what: string, path: string) => ({ message: `${what} '${path}' is not an absolute normalised path; write it as /dir/file without '.', '..' or '//'` }),
  managedFileTwice: (path: string) => ({ message: `managed file ${path} is declared twice; keep one declaration` }),
  managedFileInDeploymentsRoot: (path: string, deploymentsRoot: string) => ({ message: `managed file ${path} overlaps the deployments root ${deploymentsRoot}; move it elsewhere` }),
  managedFileInStoreRoot: (path: string, storeRoot: string) => ({ message: `managed file ${path} lies inside the store root ${storeRoot}; move it elsewhere` }),
  managedFileInvalidMode: (path: string, mode: number) => ({ message: `managed file ${path} has an invalid mode ${mode}; use an octal mode such as "0644"` }),
  managedFilePathTooLong: (path: string, tooLong: string) => ({ message: `managed file ${path}… ${tooLong}; shorten it` }),
  managedFileIsAlsoDirectory: (nested: string, nested2: string) => ({ message: `managed file ${nested} is also a directory on the way to ${nested2}; a target cannot hold both, move one of them` }),
  neverDeployed: (stack: string, target: string) => ({ code: "E12", message: `${stack} was never deployed to ${target}; nothing to roll back` }),
  noPreviousGeneration: (stack: string, target: string, generation: string) => ({ code: "E12", message: `no previous generation: ${stack} on ${target} is at ${generation}, its first generation` }),
  pinnedStorePathsMissing: (stack: string, generation: string, target: string, missing: string) => ({ code: "E12", message: `cannot roll back ${stack} to ${generation}: pinned store path(s) missing on ${target}: ${missing}`, hint: `apply that generation's configuration again to rebuild and push them` }),
  dryRunNeedsTransportRoot: () => ({ message: `--dry-run needs --transport-root; to preview real hosts without writing anything, use 'fleet plan'` }),
  planChanged: (expectPlan: string, actual: string) => ({ message: `the plan changed: expected plan_hash ${expectPlan}, the fleet now plans to ${actual}; review it with 'fleet plan' and apply again` }),
  badLifecycleFlag: (LIFECYCLES: string, lifecycle: string) => ({ message: `--lifecycle must be one of ${LIFECYCLES}, not '${lifecycle}'` }),
  remoteNeedsSsh: (command: string) => ({ message: `${command} runs commands on SSH hosts; a --transport-root host is a folder and runs nothing (drop --transport-root)` }),
  execNeedsCommand: () => ({ message: `exec needs a command after --: fleet exec FLEET --only web -- uptime` }),
  execNeedsAll: () => ({ message: `exec runs on every host of the fleet only with --all; pick hosts with --only NAME,@tag` }),
  bootIdUnreadable: (BOOT_ID: string, code: number) => ({ message: `cannot read the boot id (${BOOT_ID} exited ${code})` }),
  rebootNeedsSsh: () => ({ message: `reboot reboots SSH hosts; a --transport-root host is a folder (drop --transport-root)` }),
  rebootNeedsAll: () => ({ message: `reboot reboots every host of the fleet only with --all; pick hosts with --only NAME,@tag` }),
  sshNeedsSsh: () => ({ message: `ssh opens a shell on an SSH host; a --transport-root host is a folder (drop --transport-root)` }),
  sshUnknownHost: (host: string, names: string) => ({ message: `no host named '${host}'; known: ${names}` }),
  sshAmbiguousHost: (host: string, value: number, targets: string) => ({ message: `'${host}' names ${value} targets (${targets}); give a machine or stack name of one` }),
  sshHostDecommissioned: (host: string) => ({ message: `'${host}' is decommissioned; fleet never contacts it (change its lifecycle first)` }),
  rollbackPreHookFailed: (detail: string) => ({ message: `rollback pre hook failed (${detail})` }),

  // cli/
  badRunsKeep: (v: string) => ({ message: `FLEET_RUNS_KEEP must be a whole number ≥ 1, not '${v}'` }),
  buildScenarioNotDefined: (s: string) => ({ message: `scenario '${s}' is not defined in any of the given files; check its name` }),
  inputFileMissing: (file: string) => ({ message: `input file '${file}' does not exist; check the path` }),
  inputIsDirectory: (file: string) => ({ message: `input '${file}' is a directory; give the .pcl files to build` }),
  inputFileUnreadable: (file: string, code: string) => ({ message: `input file '${file}' cannot be read (${code})` }),
  pclPathMissing: (p: string) => ({ message: `cannot read '${p}': no such file or directory; pass an existing .pcl file or directory` }),
  pclDirectoryEmpty: (p: string) => ({ message: `directory '${p}' holds no .pcl file; pass a .pcl file or a directory that has some` }),
  pclFileUnreadable: (p: string) => ({ message: `cannot read '${p}'; pass a readable .pcl file` }),
  unknownScenario: (s: string, known: string) => ({ message: `unknown scenario '${s}'; ${known}` }),
  noRunYet: () => ({ message: `there is no run yet; 'fleet apply' or 'fleet rollback' writes one` }),
  noSuchRun: (want: string) => ({ message: `no run '${want}'; 'fleet log' lists them` }),
  runIdAmbiguous: (want: string, value: number) => ({ message: `run '${want}' is ambiguous (${value} runs start with it); give more of its id` }),
  explainUnknownHost: (name: string, hosts: string) => ({ message: `--explain: no host '${name}' in the plan; known: ${hosts}` }),
  whyUsage: () => ({ message: `usage: fleet why FILE... Module.field; name the field as Module.field (or Module.field.sub)` }),
  whyFieldNotDefined: (path: string) => ({ code: "E2", message: `'${path}' is not defined; check the module and field names with fleet eval` }),
  buildOnlyNeedsFleetFile: () => ({ message: `--only selects hosts of a fleet file; give one fleet file (module Fleet) to build per host` }),
  noSuchFlow: (name: string, didYouMean: string, names: string) => ({ message: `no flow '${name}' in this fleet${didYouMean} (flows: ${names})` }),
};

export type FleetErrorCode = keyof typeof catalogue;

type Catalogue = { readonly [K in FleetErrorCode]: (...args: Parameters<(typeof catalogue)[K]>) => FleetErrorText };

function withIds<C extends Record<string, Entry>>(entries: C): Catalogue {
  const out: Record<string, (...args: never[]) => FleetErrorText> = {};
  for (const [id, entry] of Object.entries(entries)) out[id] = (...args) => ({ id: id as FleetErrorCode, ...entry(...args) });
  return out as unknown as Catalogue;
}

export const fleetMessages: Catalogue = withIds(catalogue);
