#!/usr/bin/env bash
# terraform init, validate and an offline plan of a rendered root module.
#
#   tests/tools/tf-check.sh OUT/terraform
#
# Works without network or cloud account: the AWS provider comes from a
# local filesystem mirror ($TF_PLUGIN_MIRROR, else the usual places), the
# S3 backend is replaced by a local one and the providers get fake
# credentials and the skip_* settings, through an override file in a copy
# of the directory. Prints TAP; skips, saying why, without terraform or
# without the provider.
set -u
root=${1:?usage: tf-check.sh ROOT_MODULE_DIR}
command -v terraform >/dev/null || { echo "1..0 # SKIP terraform not installed"; exit 0; }

mirror=${TF_PLUGIN_MIRROR:-}
if [ -z "$mirror" ]; then
	for d in /opt/tf-plugins /usr/share/terraform/plugins /usr/local/share/terraform/plugins \
		"$HOME/.terraform.d/plugins" "$HOME/.local/share/terraform/plugins"; do
		[ -d "$d/registry.terraform.io/hashicorp/aws" ] && { mirror=$d; break; }
	done
fi
[ -n "$mirror" ] || { echo "1..0 # SKIP no AWS provider in a local mirror (set TF_PLUGIN_MIRROR)"; exit 0; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tf-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$root"/. "$work/"
cache=${TF_PLUGIN_CACHE_DIR:-${TMPDIR:-/tmp}/provisioner-tf-plugin-cache}
mkdir -p "$cache"
cat >"$work/.cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/*/*"]
  }
}
plugin_cache_dir = "$cache"
CFG

# the same aliases as the rendered providers, made offline
aliases=$(python3 -c "
import json,sys
p=json.load(open('$work/main.tf.json'))['provider']['aws']
print(' '.join(x['alias']+'='+x['region'] for x in p))")
python3 - "$work/zz_offline_override.tf.json" $aliases <<'PY'
import json, sys
out, pairs = sys.argv[1], sys.argv[2:]
providers = [{"alias": a, "region": r, "access_key": "AKIAFAKEFAKEFAKEFAKE",
              "secret_key": "fake-secret-for-offline-plan",
              "skip_credentials_validation": True, "skip_requesting_account_id": True,
              "skip_metadata_api_check": True, "skip_region_validation": True}
             for a, r in (p.split("=", 1) for p in pairs)]
json.dump({"terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
           "provider": {"aws": providers}}, open(out, "w"), indent=2)
PY

export TF_CLI_CONFIG_FILE=$work/.cli.tfrc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID=AKIAFAKEFAKEFAKEFAKE AWS_SECRET_ACCESS_KEY=fake AWS_EC2_METADATA_DISABLED=true
# the write-only database password, as an operator would give it
export TF_VAR_db_master_password=offline-plan-placeholder

n=0 failed=0
step() {
	local desc=$1
	shift
	n=$((n + 1))
	if (cd "$work" && "$@") >"$work/.log" 2>&1; then
		echo "ok $n - $desc"
	else
		failed=$((failed + 1))
		echo "not ok $n - $desc"
		tail -30 "$work/.log" | sed 's/^/#   /'
	fi
}
step "terraform init ($(basename "$(dirname "$root")"))" terraform init -input=false -no-color
step "terraform validate" terraform validate -no-color
step "terraform plan -refresh=false" terraform plan -refresh=false -input=false -lock=false -no-color -out=plan.bin
if [ -f "$work/plan.bin" ]; then
	n=$((n + 1))
	count=$(cd "$work" && terraform show -json plan.bin | python3 -c "
import json,sys
p=json.load(sys.stdin)
print(sum(1 for r in p.get('resource_changes',[]) if 'create' in r['change']['actions']))")
	if [ "${count:-0}" -gt 0 ]; then
		echo "ok $n - the plan creates $count resources"
	else
		failed=$((failed + 1)); echo "not ok $n - the plan creates nothing"
	fi
	n=$((n + 1))
	if (cd "$work" && terraform show -json plan.bin) | grep -q offline-plan-placeholder; then
		failed=$((failed + 1)); echo "not ok $n - the write-only password is in the plan"
	else
		echo "ok $n - the write-only password is not in the plan"
	fi
fi
echo "1..$n"
[ "$failed" -eq 0 ]
