{
  description = "fleet: typed fleet configuration (PCL), atomic generations, byte-exact rollback";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # One source of truth for the name, version and description.
      manifest = builtins.fromJSON (builtins.readFile ./package.json);

      fleetFor =
        pkgs:
        pkgs.buildNpmPackage {
          pname = manifest.name;
          version = manifest.version;
          src = pkgs.lib.cleanSource ./.;
          nodejs = pkgs.nodejs_20;
          # importNpmLock reads package-lock.json directly: no dependency hash to keep in step.
          npmDeps = pkgs.importNpmLock { npmRoot = ./.; };
          npmConfigHook = pkgs.importNpmLock.npmConfigHook;
          # `npm run build` bundles src/cli/main.ts into dist/ (ADR 002, ADR 080).
          npmBuildScript = "build";
          nativeBuildInputs = [ pkgs.installShellFiles ];
          installPhase = ''
            runHook preInstall
            # Only run-time dependencies: the bundle holds everything but ssh2 (and its optional
            # native parts), which is all package.json lists under "dependencies".
            npm prune --omit=dev --no-audit --no-fund
            mkdir -p $out/lib/fleet $out/bin
            cp -r bin package.json node_modules grammar $out/lib/fleet/
            mkdir -p $out/lib/fleet/dist/chunks
            cp dist/*.mjs $out/lib/fleet/dist/
            cp dist/chunks/*.mjs $out/lib/fleet/dist/chunks/
            ln -s $out/lib/fleet/bin/fleet.js $out/bin/fleet
            installManPage man/fleet.1
            installShellCompletion --cmd fleet \
              --bash <($out/bin/fleet completion bash) \
              --zsh <($out/bin/fleet completion zsh) \
              --fish <($out/bin/fleet completion fish)
            runHook postInstall
          '';
          meta = {
            description = manifest.description;
            homepage = manifest.homepage;
            license = pkgs.lib.licenses.mit;
            mainProgram = "fleet";
            platforms = pkgs.lib.platforms.linux;
          };
        };
    in
    {
      packages = forAll (pkgs: rec {
        fleet = fleetFor pkgs;
        default = fleet;
      });

      formatter = forAll (pkgs: pkgs.nixfmt-rfc-style);

      devShells = forAll (pkgs: {
        default = pkgs.mkShell {
          packages = [
            pkgs.nodejs_20
            pkgs.openssh
            pkgs.util-linux
            pkgs.zsh
            pkgs.fish
            pkgs.nixfmt-rfc-style
          ];
        };
      });

      checks = forAll (pkgs: {
        # The test suite, against the same sources and locked dependencies as the package.
        tests = (fleetFor pkgs).overrideAttrs (old: {
          pname = "fleet-tests";
          nativeCheckInputs = [
            pkgs.openssh
            pkgs.util-linux
            pkgs.zsh
            pkgs.fish
            pkgs.systemd
            pkgs.openssl
          ];
          doCheck = true;
          checkPhase = ''
            runHook preCheck
            CI=true npm test
            runHook postCheck
          '';
          installPhase = "touch $out";
        });
      });
    };
}
