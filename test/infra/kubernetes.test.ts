// infra/k8s against the Kubernetes API's schemas and KEDA's CRD schema, as published in npm packages generated
// from them: kubernetes-models 4.5 (the OpenAPI schemas of Kubernetes 1.27.1) and @kubernetes-models/keda 0.4
// (KEDA's CRDs). They check types, enums and required fields; they do not reject unknown fields (Kubernetes'
// OpenAPI schemas do not forbid them; `kubectl apply --validate=strict` does). Then what no schema knows: the
// scaler's query is the service's own, names refer to objects that exist, commands are files of the build.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { ConfigMap, Secret, Service } from "kubernetes-models/v1";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { WORKER_DEMAND_SQL } from "../../db/queue/demand.ts";
import { ensureBuilt, ROOT } from "../support/build.ts";

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "keda.sh/v1alpha1/TriggerAuthentication": TriggerAuthentication,
};

const DIR = join(ROOT, "infra/k8s");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
type Manifest = Record<string, any> & { apiVersion: string; kind: string; metadata: { name: string } };
const manifests: (Manifest & { file: string })[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((d) => ({ ...(d.toJS() as Manifest), file })),
);
const find = (kind: string, name: string) =>
  manifests.find((m) => m.kind === kind && m.metadata.name === name);

function validationErrors(m: Manifest): string | null {
  const Model = MODELS[`${m.apiVersion}/${m.kind}`];
  if (!Model) return `no schema for ${m.apiVersion} ${m.kind}`;
  try {
    new Model(m).validate();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe("infra/k8s", () => {
  it.each(manifests.map((m) => [`${m.file}: ${m.kind} ${m.metadata.name}`, m] as const))(
    "%s is valid under its schema",
    (_, m) => {
      expect(validationErrors(m)).toBeNull();
    },
  );

  it("rejects manifests with wrong types or missing fields (the schemas can fail)", () => {
    const worker = structuredClone(find("Deployment", "grades-worker")!);
    worker.spec.template.spec.terminationGracePeriodSeconds = "15m";
    expect(validationErrors(worker)).toMatch(/terminationGracePeriodSeconds must be integer/);
    const scaled = structuredClone(find("ScaledObject", "grades-worker")!);
    delete scaled.spec.scaleTargetRef;
    expect(validationErrors(scaled)).toMatch(/scaleTargetRef/);
  });

  it("lists every manifest file in the kustomization", () => {
    const kustomization = parseAllDocuments(readFileSync(join(DIR, "kustomization.yaml"), "utf8"))[0]!.toJS();
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
  });

  it("has the API as a Deployment with a Service and an HPA, and a migrations Job", () => {
    const api = find("Deployment", "grades-api")!;
    const service = find("Service", "grades-api")!;
    expect(service.spec.selector).toEqual(api.spec.selector.matchLabels);
    expect(find("HorizontalPodAutoscaler", "grades-api")!.spec.scaleTargetRef).toMatchObject({
      kind: "Deployment",
      name: "grades-api",
    });
    expect(find("Job", "grades-migrate")!.spec.template.spec.containers[0].command).toEqual([
      "node",
      "dist/infra/migrate.js",
    ]);
  });

  it("gives GPU workers a GPU each and a grace period long enough to checkpoint", () => {
    const worker = find("Deployment", "grades-worker")!;
    const pod = worker.spec.template.spec;
    expect(pod.containers[0].resources.limits["nvidia.com/gpu"]).toBe("1");
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(300);
    expect(pod.containers[0].env).toContainEqual({ name: "GRADES_BACKEND", value: "tensorflow" });
    // KEDA owns the replica count.
    expect(worker.spec.replicas).toBeUndefined();
  });

  it("scales workers from 0 with KEDA's PostgreSQL scaler on the service's own demand query", () => {
    const scaled = find("ScaledObject", "grades-worker")!;
    expect(scaled.spec.scaleTargetRef.name).toBe("grades-worker");
    expect(scaled.spec.minReplicaCount).toBe(0);
    expect(scaled.spec.maxReplicaCount).toBeGreaterThan(0);
    const [trigger] = scaled.spec.triggers;
    expect(trigger.type).toBe("postgresql");
    expect(trigger.metadata.query).toBe(WORKER_DEMAND_SQL);
    expect(trigger.metadata.targetQueryValue).toBe("1");
    const auth = find("TriggerAuthentication", trigger.authenticationRef.name)!;
    const ref = auth.spec.secretTargetRef[0];
    expect(ref.parameter).toBe("connection");
    expect(find("Secret", ref.name)!.stringData[ref.key]).toMatch(/^postgres(ql)?:\/\//);
  });

  it("refers only to ConfigMaps and Secrets that exist, and runs entry points of the build", () => {
    const pods = manifests
      .filter((m) => m.kind === "Deployment" || m.kind === "Job")
      .map((m) => [m.metadata.name, m.spec.template.spec] as const);
    for (const [name, pod] of pods) {
      for (const c of pod.containers) {
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef) expect(find("ConfigMap", from.configMapRef.name), name).toBeDefined();
          if (from.secretRef) expect(find("Secret", from.secretRef.name), name).toBeDefined();
        }
        expect(c.command[0]).toBe("node");
        expect(existsSync(join(ROOT, c.command[1])), `${name}: ${c.command[1]}`).toBe(true);
      }
    }
  });
});
