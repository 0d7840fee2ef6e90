#!/usr/bin/env bash
# render: every reference environment renders; output is deterministic;
# --check and --stat show drift as a unified diff and a line per file;
# render replaces and removes only the files it wrote (its manifest), so
# Terraform's and the user's files stay; a failed render changes nothing;
# the S3 backend locks with a lock file, not DynamoDB; the manifests build
# with kustomize and pass strict validation against the shipped Kubernetes
# schema (render --validate, provisioner check).
. "$(dirname "$0")/../lib.sh"
P=$PROVISIONER
R="-b main -c $COMMIT"

for env in test nightly staging production; do
	ok "envs/$env.yaml renders, and every Kubernetes object passes strict validation" \
		"$P" render "$SOURCE_DIR/envs/$env.yaml" $R --out "$TEST_DIR/$env" --validate
done
ok "rendering again into another directory gives identical output" sh -c "
	'$P' render '$SOURCE_DIR/envs/test.yaml' $R --out '$TEST_DIR/again' >/dev/null &&
	diff -r '$TEST_DIR/test' '$TEST_DIR/again'"
ok "rendering from another directory gives identical output" sh -c "
	cd '$SOURCE_DIR/envs' && '$P' render test.yaml $R --out '$TEST_DIR/cwd' >/dev/null &&
	diff -r '$TEST_DIR/test' '$TEST_DIR/cwd'"
ok "--check finds no drift in a fresh render" "$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$TEST_DIR/test" --check

# drift: a changed file, a missing one, a user's file (not drift)
t=$TEST_DIR/test
sed -i 's/maxReplicas: .*/maxReplicas: 99/' "$t/kubernetes/eu-west-1/service-api.yaml"
rm "$t/kubernetes/eu-central-1/gateway.yaml"
echo x >"$t/kubernetes/eu-west-1/stray.yaml"
"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$t" --check >"$TEST_DIR/drift" 2>&1
is $? 1 "--check exits 1 on drift"
ok "--check shows the changed lines" sh -c "grep -q '^-  maxReplicas: 99' '$TEST_DIR/drift' && grep -q '^+  maxReplicas: 2' '$TEST_DIR/drift'"
ok "--check gives a unified diff: file header, hunk header, 3 lines of context" python3 - "$TEST_DIR/drift" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
i = lines.index("--- a/kubernetes/eu-west-1/service-api.yaml")
assert lines[i + 1] == "+++ b/kubernetes/eu-west-1/service-api.yaml", lines[i + 1]
m = re.fullmatch(r"@@ -(\d+),7 \+(\d+),7 @@", lines[i + 2])
assert m and m.group(1) == m.group(2), lines[i + 2]
body = lines[i + 3:i + 11]
assert [l[0] for l in body] == [" ", " ", " ", "-", "+", " ", " ", " "], body
PY
ok "--check applies as a patch" sh -c "cp -r '$t' '$TEST_DIR/patched' &&
	grep -v '^[a-z.].*: \|^drift: ' '$TEST_DIR/drift' | (cd '$TEST_DIR/patched' && patch -s -p1) &&
	'$P' render '$SOURCE_DIR/envs/test.yaml' $R --out '$TEST_DIR/patched' --check"
ok "--check sums up each file" sh -c "grep -qx 'kubernetes/eu-west-1/service-api.yaml: 1 line changed (+1 -1)' '$TEST_DIR/drift' &&
	grep -qx 'kubernetes/eu-central-1/gateway.yaml: new file' '$TEST_DIR/drift' &&
	grep -qx \"drift: 2 files in '$t' differ from the definition\" '$TEST_DIR/drift'"
ok "--check leaves a file render did not write alone" sh -c "! grep -q stray '$TEST_DIR/drift'"
"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$t" --stat >"$TEST_DIR/stat" 2>&1
is "$?:$(cat "$TEST_DIR/stat")" "1:kubernetes/eu-central-1/gateway.yaml: new file
kubernetes/eu-west-1/service-api.yaml: 1 line changed (+1 -1)
drift: 2 files in '$t' differ from the definition" "--stat prints only the line per file, exit 1"
ok "--check writes nothing" sh -c "test -f '$t/kubernetes/eu-west-1/stray.yaml' && ! test -e '$t/kubernetes/eu-central-1/gateway.yaml'"
ok "a render repairs the drift" sh -c "'$P' render '$SOURCE_DIR/envs/test.yaml' $R --out '$t' >/dev/null &&
	'$P' render '$SOURCE_DIR/envs/test.yaml' $R --out '$t' --check >/dev/null"
ok "a render leaves no temporary files" sh -c "! find '$t' -name '*tmp*' | grep -q ."
ok "a render leaves a file it did not write alone" test -f "$t/kubernetes/eu-west-1/stray.yaml"
rm "$t/kubernetes/eu-west-1/stray.yaml"
"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$t" --check --target bogus >/dev/null 2>&1
is $? 2 "an unknown --target is a usage error"

# render owns only what it wrote: Terraform's files and the user's stay
mkdir -p "$t/terraform/.terraform/providers"
echo lock >"$t/terraform/.terraform.lock.hcl"
echo state >"$t/terraform/.terraform/terraform.tfstate"
echo '{}' >"$t/terraform/override.tf.json"
touch -d 2020-01-01 "$t/terraform/main.tf.json"
"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$t" >/dev/null
ok "a second render keeps .terraform/, .terraform.lock.hcl and a user's file" sh -c "
	test -f '$t/terraform/.terraform/terraform.tfstate' && grep -q lock '$t/terraform/.terraform.lock.hcl' &&
	test -f '$t/terraform/override.tf.json'"
ok "a file that did not change is not written again" sh -c "test \$(stat -c %Y '$t/terraform/main.tf.json') -lt 1600000000"
ok "the manifest lists what render wrote, and nothing else" sh -c "
	grep -qx 'terraform/main.tf.json' '$t/.provisioner-render' &&
	! grep -v '^#' '$t/.provisioner-render' | grep -q 'override\|lock\|stray' &&
	test \$(grep -vc '^#' '$t/.provisioner-render') -eq 42"
# a file the last render wrote and this one does not is removed, with its directory
mkdir -p "$t/kubernetes/gone-1"
echo old >"$t/kubernetes/gone-1/x.yaml"
echo kubernetes/gone-1/x.yaml >>"$t/.provisioner-render"
"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$t" --check >"$TEST_DIR/drift" 2>&1
ok "--check names a file a render would remove" sh -c "
	grep -qx 'kubernetes/gone-1/x.yaml: would be removed' '$TEST_DIR/drift' &&
	grep -qx -- '--- a/kubernetes/gone-1/x.yaml' '$TEST_DIR/drift' && grep -qx '+++ /dev/null' '$TEST_DIR/drift'"
"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$t" >/dev/null
ok "a render removes a file it no longer renders, and its empty directory" test ! -e "$t/kubernetes/gone-1"
ok "--target terraform keeps the Kubernetes files in the manifest" sh -c "
	'$P' render '$SOURCE_DIR/envs/test.yaml' $R --out '$t' --target terraform >/dev/null &&
	grep -q '^kubernetes/eu-west-1/service-api.yaml' '$t/.provisioner-render' &&
	'$P' render '$SOURCE_DIR/envs/test.yaml' $R --out '$t' --check >/dev/null"
# a manifest is trusted only with plain paths below DIR
cp "$t/.provisioner-render" "$TEST_DIR/manifest"
echo ../outside >>"$t/.provisioner-render"
echo keep >"$TEST_DIR/outside"
"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$t" >/dev/null 2>"$TEST_DIR/err"
is "$?:$(grep -c "'../outside' is not a file render writes" "$TEST_DIR/err")" "1:1" \
	"a path out of DIR in the manifest fails the render, named"
ok "and nothing outside DIR is touched" test -f "$TEST_DIR/outside"
cp "$TEST_DIR/manifest" "$t/.provisioner-render"

# --target renders only what it names
ok "--target terraform writes only terraform/" sh -c "
	'$P' render '$SOURCE_DIR/envs/test.yaml' $R --out '$TEST_DIR/tf' --target terraform >/dev/null &&
	test -f '$TEST_DIR/tf/terraform/main.tf.json' && ! test -e '$TEST_DIR/tf/kubernetes'"

# the state is locked with S3's lock file: no DynamoDB table anywhere
ok "the S3 backend locks with use_lockfile and names no DynamoDB table" python3 -c "
import json
b = json.load(open('$TEST_DIR/tf/terraform/main.tf.json'))['terraform']['backend']['s3']
assert b['use_lockfile'] is True and 'dynamodb_table' not in b, b"
ok "no module creates or names a DynamoDB table" sh -c "! grep -rqi dynamodb '$TEST_DIR/tf/terraform'"
printf 'extends: %s\nterraform: {lock_table: old-tflock}\n' "$SOURCE_DIR/envs/test.yaml" >"$TEST_DIR/lock.yaml"
"$P" validate "$TEST_DIR/lock.yaml" $R >/dev/null 2>"$TEST_DIR/err"
is "$?:$(grep -c "lock.yaml:2:.*'terraform.lock_table' is no longer used" "$TEST_DIR/err")" "2:1" \
	"a definition that still names a lock table is told it is no longer used, where"

# a failed render changes nothing
cp -r "$TEST_DIR/test" "$TEST_DIR/before"
printf 'extends: %s\nservices: {api: {replicas: many}}\n' "$SOURCE_DIR/envs/test.yaml" >"$TEST_DIR/bad.yaml"
"$P" render "$TEST_DIR/bad.yaml" $R --out "$TEST_DIR/test" >/dev/null 2>&1
is $? 2 "an invalid definition exits 2"
ok "an invalid definition leaves the output as it was" diff -r "$TEST_DIR/before" "$TEST_DIR/test"
# a file that cannot be written (a directory in its way) fails before anything is replaced
sed -i 's/maxReplicas: .*/maxReplicas: 99/' "$TEST_DIR/test/kubernetes/eu-west-1/service-api.yaml"
rm "$TEST_DIR/test/kubernetes/eu-central-1/gateway.yaml"
mkdir "$TEST_DIR/test/kubernetes/eu-central-1/gateway.yaml"
rm -rf "$TEST_DIR/before" && cp -r "$TEST_DIR/test" "$TEST_DIR/before"
"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$TEST_DIR/test" >/dev/null 2>"$TEST_DIR/err"
is "$?:$(grep -c 'gateway.yaml.* is a directory' "$TEST_DIR/err")" "1:1" "a directory where a file goes fails the render, named"
ok "and leaves the output as it was" diff -r "$TEST_DIR/before" "$TEST_DIR/test"
rmdir "$TEST_DIR/test/kubernetes/eu-central-1/gateway.yaml"
"$P" render "$TEST_DIR/bad.yaml" $R --out "$TEST_DIR/never" >/dev/null 2>&1
ok "an invalid definition creates no output directory" test ! -e "$TEST_DIR/never"
if [ "$(id -u)" -ne 0 ]; then
	mkdir "$TEST_DIR/ro" && chmod 555 "$TEST_DIR/ro"
	"$P" render "$SOURCE_DIR/envs/test.yaml" $R --out "$TEST_DIR/ro/x" >/dev/null 2>&1
	is $? 1 "an unwritable output directory fails"
else
	skip "running as root, permissions do not stop writes" "an unwritable output directory fails"
fi

# the manifests build with kustomize
if command -v kubectl >/dev/null; then
	for d in "$TEST_DIR"/production/kubernetes/*/; do
		ok "kubectl kustomize builds $(basename "$d")" sh -c "kubectl kustomize '$d' >/dev/null"
	done
else
	skip "kubectl is not installed" "kubectl kustomize builds the rendered directories"
fi

# every object passes strict validation against the Kubernetes 1.36 schema
for env in test nightly staging production; do
	ok "provisioner check: every $env manifest is valid" "$P" check "$TEST_DIR/$env/kubernetes"
done
ok "provisioner check: the base policies in k8s/base are valid" "$P" check "$SOURCE_DIR/k8s/base"
ok "render --check --validate: no drift, every object valid" \
	"$P" render "$SOURCE_DIR/envs/production.yaml" $R --out "$TEST_DIR/production" --check --validate

done_testing
