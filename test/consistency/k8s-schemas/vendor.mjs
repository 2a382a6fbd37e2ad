// Regenerates the JSON schemas of the custom resources deploy/k8s/ uses, from the operators' own CRD files:
//   node test/consistency/k8s-schemas/vendor.mjs CRD.yaml… (Strimzi packaging/install/cluster-operator/04x-Crd-*.yaml,
//   CloudNativePG config/crd/bases/postgresql.cnpg.io_clusters.yaml) — see README.md beside this file for the versions.
// Keeps each served version's openAPIV3Schema without its descriptions (they are most of the size).
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

function strip(node) {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' && typeof value === 'string') continue;
    out[key] = strip(value);
  }
  return out;
}

for (const file of process.argv.slice(2)) {
  const crd = parse(readFileSync(file, 'utf8'));
  for (const version of crd.spec.versions.filter((v) => v.served)) {
    const name = `${crd.spec.group}_${crd.spec.names.kind}_${version.name}.json`;
    const schema = { apiVersion: `${crd.spec.group}/${version.name}`, kind: crd.spec.names.kind, schema: strip(version.schema.openAPIV3Schema) };
    writeFileSync(new URL(name, import.meta.url), `${JSON.stringify(schema)}\n`);
  }
}
