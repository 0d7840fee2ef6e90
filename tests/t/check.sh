#!/usr/bin/env bash
# provisioner check and render --validate: strict validation of Kubernetes
# manifests against the schema the repository ships. Valid files and
# directories exit 0; an unknown field exits 1 naming FILE:LINE:COL and the
# field; a schema or file that cannot be read exits 2. The validator's own
# cases are tests/t/k8s-validate.sh's.
. "$(dirname "$0")/../lib.sh"
P=$PROVISIONER
R="-b main -c $COMMIT"
F=$SOURCE_DIR/tests/k8s-validate
[ -x "$P" ] || skip_all "$P is not built"
# the shipped schema, whatever the caller's environment says
unset K8S_SCHEMA

# run EXPECTED-STATUS ARGS...: provisioner with ARGS, output in $TEST_DIR/out
run() {
	local want=$1
	shift
	"$P" "$@" >"$TEST_DIR/out" 2>&1
	local got=$?
	[ "$got" -eq "$want" ] || { echo "exit status $got, want $want"; cat "$TEST_DIR/out"; return 1; }
}
has() { grep -qF -- "$1" "$TEST_DIR/out" || { echo "no '$1' in:"; cat "$TEST_DIR/out"; return 1; }; }

ok "check: a directory of valid manifests exits 0" run 0 check "$F/valid"
ok "check: says how many objects and files it checked" has "valid: 20 Kubernetes objects in 15 files"
ok "check: the shipped schema is the default" test -r "$SOURCE_DIR/k8s/schemas/kubernetes-1.36/definitions.json"
ok "check: files and directories together" run 0 check "$F/valid/service.yaml" "$SOURCE_DIR/k8s/base"

cat >"$TEST_DIR/bad.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  ports:
    - port: 80
      targetPort: 8080
      protcol: TCP
YAML
ok "check: an unknown field exits 1" run 1 check "$F/valid/configmap.yaml" "$TEST_DIR/bad.yaml"
ok "check: names FILE:LINE:COL, the object and the field" \
	has "$TEST_DIR/bad.yaml:9:7: Service/api: spec.ports[0].protcol: unknown field 'protcol' (did you mean 'protocol'?)"
ok "check: and sums up" has "1 problem in 1 of 2 files"
ok "check: a file in a directory is named by its path" run 1 check "$TEST_DIR"
ok "check: ... below the directory given" has "$TEST_DIR/bad.yaml:9:7:"

printf 'apiVersion: v1\nkind: ConfigMap\ndata: [a\n' >"$TEST_DIR/broken.yaml"
ok "check: a file that is not YAML exits 1" run 1 check "$TEST_DIR/broken.yaml"
ok "check: ... with FILE:LINE:COL" has "broken.yaml:4:1: yaml error:"
ok "check: standard input as -" sh -c "printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n' | '$P' check -"

ok "check: a missing schema file exits 2" run 2 check --schema "$TEST_DIR/none.json" "$F/valid"
ok "check: ... naming it" has "$TEST_DIR/none.json"
ok "check: \$K8S_SCHEMA names the schema" sh -c "K8S_SCHEMA='$TEST_DIR/none.json' '$P' check '$F/valid' 2>&1; test \$? -eq 2"
ok "check: a schema without definitions exits 2" sh -c "echo '{}' >'$TEST_DIR/empty.json' &&
	'$P' check --schema '$TEST_DIR/empty.json' '$F/valid'; test \$? -eq 2"
ok "check: a file that does not exist exits 2" run 2 check "$F/valid/service.yaml" "$TEST_DIR/none.yaml"
ok "check: ... naming it" has "cannot read '$TEST_DIR/none.yaml'"
mkdir "$TEST_DIR/empty"
ok "check: a directory without manifests exits 2" run 2 check "$TEST_DIR/empty"
ok "check: no argument is a usage error" run 2 check
ok "check: an unknown option is a usage error" run 2 check --strict "$F/valid"

# render --validate
ok "render --validate: valid output exits 0" run 0 render "$SOURCE_DIR/envs/production.yaml" $R \
	--out "$TEST_DIR/prod" --validate
ok "render --validate: says what it checked" has "valid: 28 Kubernetes objects in 8 files"
# a data directory whose base policy has a field Kubernetes does not know
data=$TEST_DIR/data
mkdir -p "$data/k8s" && cp -r "$SOURCE_DIR/terraform" "$data/" && cp -r "$SOURCE_DIR/k8s/base" "$data/k8s/" &&
	cp -r "$SOURCE_DIR/k8s/schemas" "$data/k8s/"
sed -i 's/^  limits:/  limitz:/' "$data/k8s/base/limitrange.yaml"
PROVISIONER_DATADIR=$data run 1 render "$SOURCE_DIR/envs/test.yaml" $R --out "$TEST_DIR/bad-out" --validate
is $? 0 "render --validate: an invalid object exits 1"
ok "render --validate: names the written file, line, column and field" \
	has "$TEST_DIR/bad-out/kubernetes/eu-west-1/namespace.yaml"
ok "render --validate: ... and the field" has "LimitRange/defaults: spec.limitz: unknown field 'limitz'"
ok "render --validate: the files stay written" test -f "$TEST_DIR/bad-out/kubernetes/eu-west-1/namespace.yaml"
PROVISIONER_DATADIR=$data run 1 render "$SOURCE_DIR/envs/test.yaml" $R --out "$TEST_DIR/bad-out" --check --validate
is $? 0 "render --check --validate: no drift, but an invalid object exits 1"
rm "$data/k8s/schemas/kubernetes-1.36/definitions.json"
PROVISIONER_DATADIR=$data run 2 render "$SOURCE_DIR/envs/test.yaml" $R --out "$TEST_DIR/bad-out" --validate
is $? 0 "render --validate: a missing schema exits 2"

done_testing
