// infra/lambda/template.yaml, checked statically (neither the SAM CLI nor cfn-lint is available here): it parses
// as YAML with CloudFormation's short-form tags, every !Ref, !GetAtt and ${…} names a parameter, a resource or a
// pseudo parameter, the code is the staged folder (`npm run build:lambda`), the handler is a function exported by
// the build, and the IAM policy reaches only the bucket.
// Not checked: the resource types' properties against CloudFormation's specification, a deploy.
import { readFileSync } from "node:fs";
import { join, normalize } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type CollectionTag, parse, type ScalarTag } from "yaml";
import { ENTRY, STAGE_DIR } from "../../infra/lambda/stage.ts";
import { ensureBuilt, ROOT } from "../support/build.ts";

// CloudFormation's short forms (!Ref X is { Ref: X }, !Sub … is { "Fn::Sub": … }), for scalars and sequences.
const INTRINSICS = ["Ref", "Sub", "GetAtt", "If", "Equals", "Not", "And", "Or", "Join", "Select", "Split"];
const customTags: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => {
  const key = name === "Ref" ? "Ref" : `Fn::${name}`;
  const tag = `!${name}`;
  return [
    {
      tag,
      resolve: (value: string) => ({ [key]: name === "GetAtt" ? value.split(".") : value }),
    } as ScalarTag,
    {
      tag,
      collection: "seq",
      resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }),
    } as unknown as CollectionTag,
  ];
});

type Template = Record<string, any>;
const template = parse(readFileSync(join(ROOT, "infra/lambda/template.yaml"), "utf8"), {
  customTags,
}) as Template;
const PSEUDO = [
  "AWS::Region",
  "AWS::Partition",
  "AWS::URLSuffix",
  "AWS::AccountId",
  "AWS::StackName",
  "AWS::NoValue",
];

/** Every name the template refers to through Ref, GetAtt and Sub's ${…}. */
function references(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) references(n, out);
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "Ref") out.push(v as string);
      else if (k === "Fn::GetAtt") out.push((v as string[])[0]!);
      else if (k === "Fn::Sub" && typeof v === "string")
        for (const m of v.matchAll(/\$\{([\w:]+)(?:\.\w+)?\}/g)) out.push(m[1]!);
      references(v, out);
    }
  }
  return out;
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe("infra/lambda/template.yaml", () => {
  const fn = template.Resources.ApiFunction;

  it("is a SAM template whose references all resolve", () => {
    expect(template.Transform).toBe("AWS::Serverless-2016-10-31");
    const known = new Set([
      ...Object.keys(template.Parameters),
      ...Object.keys(template.Resources),
      ...Object.keys(template.Conditions ?? {}),
      ...PSEUDO,
    ]);
    const refs = references(template);
    expect(refs.length).toBeGreaterThan(5);
    expect(refs.filter((r) => !known.has(r))).toEqual([]);
  });

  it("points its code at the staged folder and its handler at a function the build exports, on the package's Node", async () => {
    expect(normalize(join("infra/lambda", fn.Properties.CodeUri))).toBe(normalize(STAGE_DIR));
    const [file, exported] = (fn.Properties.Handler as string).split(/\.(?=[^.]+$)/) as [string, string];
    expect(`${file}.js`).toBe(ENTRY);
    // The staging copies dist/ as built (test/infra/lambda/stage.test.ts runs the staged folder).
    const mod = (await import(pathToFileURL(join(ROOT, ENTRY)).href)) as Record<string, unknown>;
    expect(typeof mod[exported]).toBe("function");
    const engines = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).engines.node as string;
    expect(template.Globals.Function.Runtime).toBe(`nodejs${/\d+/.exec(engines)![0]}.x`);
  });

  it("serves every path through API Gateway and passes the database and the bucket in", () => {
    const events = Object.values(fn.Properties.Events) as { Type: string; Properties: { Path: string } }[];
    expect(events.every((e) => e.Type === "HttpApi")).toBe(true);
    expect(events.map((e) => e.Properties.Path).sort()).toEqual(["/", "/{proxy+}"]);
    const env = fn.Properties.Environment.Variables;
    expect(env.DATABASE_URL).toEqual({ Ref: "DatabaseUrl" });
    expect(env.S3_BUCKET).toEqual({ Ref: "BucketName" });
    expect(template.Parameters.DatabaseUrl.NoEcho).toBe(true);
  });

  it("allows S3 actions on the bucket only, and nothing else but the VPC role", () => {
    const [inline, ...managed] = fn.Properties.Policies;
    for (const statement of inline.Statement) {
      expect(statement.Effect).toBe("Allow");
      expect(
        statement.Action.every((a: string) => a.startsWith("s3:")),
        JSON.stringify(statement.Action),
      ).toBe(true);
      expect(statement.Resource["Fn::Sub"]).toMatch(
        /^arn:\$\{AWS::Partition\}:s3:::\$\{BucketName\}(\/\$\{BucketPrefix\}\*)?$/,
      );
    }
    expect(managed).toEqual([
      { "Fn::If": ["InVpc", "AWSLambdaVPCAccessExecutionRole", { Ref: "AWS::NoValue" }] },
    ]);
  });
});
