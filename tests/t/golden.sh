#!/usr/bin/env bash
# The rendered output of the reference environments, compared byte for
# byte with tests/golden/ (regenerate with tests/golden/update).
. "$(dirname "$0")/../lib.sh"
P=$PROVISIONER
G=$SOURCE_DIR/tests/golden

for env in $(cat "$G/ENVS"); do
	"$P" render "$SOURCE_DIR/envs/$env.yaml" --branch golden/Branch_1 \
		--commit 0123456789abcdef0123456789abcdef01234567 --out "$TEST_DIR/$env" >/dev/null
	# the modules are terraform/modules (checked below), the manifest lists the files
	rm -rf "$TEST_DIR/$env/terraform/modules" "$TEST_DIR/$env/.provisioner-render"
	ok "envs/$env.yaml renders as tests/golden/$env (tests/golden/update regenerates)" \
		diff -ru "$G/$env" "$TEST_DIR/$env"
	ok "the vendored modules of $env are terraform/modules as they are" sh -c "
		'$P' render '$SOURCE_DIR/envs/$env.yaml' --branch golden/Branch_1 --commit 0123456789abcdef0123456789abcdef01234567 \
			--out '$TEST_DIR/$env-full' --target terraform >/dev/null &&
		diff -r '$SOURCE_DIR/terraform/modules' '$TEST_DIR/$env-full/terraform/modules'"
done
done_testing
