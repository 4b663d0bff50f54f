// `pipeline trigger --set key=value`: each value is read as the type the executor's zod schema
// declares for that option (one source of truth), and a value that does not fit is refused, naming
// the option and the type, before anything starts.
import { describe, expect, test } from 'vitest';
import { buildTriggerOptions, coerceOptionValue, describeTriggerOptions, triggerOptionsSchema } from '../../../src/cli/trigger-options.js';
import { CONNECTOR_IDS, getConnector } from '../../../src/registry/index.js';

const triggerConnectors = CONNECTOR_IDS.filter((id) => getConnector(id).capabilities.trigger);

test.each(triggerConnectors)('the %s executor exports the schema its trigger options are validated with', async (id) => {
  // The CLI reads option types from `export const triggerOptions` in src/executors/<id>.ts.
  expect(await triggerOptionsSchema(id), `src/executors/${id}.ts must export its triggerOptions schema`).not.toBeNull();
});

describe('declared types, read from the schema', () => {
  test('Hightouch: fullResync is a boolean', async () => {
    const schema = (await triggerOptionsSchema('hightouch'))!;
    expect(describeTriggerOptions(schema)).toEqual([{ name: 'fullResync', types: ['boolean'], required: false }]);
  });

  test('Databricks: statement text (required), parameters an array, rowLimit a whole number', async () => {
    const specs = describeTriggerOptions((await triggerOptionsSchema('databricks'))!);
    expect(specs).toEqual(
      expect.arrayContaining([
        { name: 'statement', types: ['string'], required: true },
        { name: 'parameters', types: ['array'], required: false },
        { name: 'rowLimit', types: ['integer'], required: false },
      ]),
    );
  });
});

describe('coercion of one value', () => {
  const bool = { name: 'fullResync', types: ['boolean' as const], required: false };
  test('"true" and "false" are booleans; anything else is refused naming the option and the type', () => {
    expect(coerceOptionValue(bool, 'true')).toEqual({ value: true });
    expect(coerceOptionValue(bool, 'false')).toEqual({ value: false });
    expect(coerceOptionValue(bool, 'yes')).toEqual({ problem: 'fullResync takes a boolean (true or false), not "yes"' });
  });

  test('numbers, whole numbers, JSON arrays and objects, text', () => {
    expect(coerceOptionValue({ name: 'rowLimit', types: ['integer'], required: false }, '10')).toEqual({ value: 10 });
    expect(coerceOptionValue({ name: 'rowLimit', types: ['integer'], required: false }, '1.5')).toMatchObject({ problem: expect.stringMatching(/rowLimit takes a whole number/) });
    expect(coerceOptionValue({ name: 'ratio', types: ['number'], required: false }, '0.25')).toEqual({ value: 0.25 });
    expect(coerceOptionValue({ name: 'parameters', types: ['array'], required: false }, '[{"name":"a","value":1}]')).toEqual({ value: [{ name: 'a', value: 1 }] });
    expect(coerceOptionValue({ name: 'parameters', types: ['array'], required: false }, '[oops')).toMatchObject({ problem: expect.stringMatching(/parameters takes a JSON array .* not valid JSON/) });
    expect(coerceOptionValue({ name: 'parameters', types: ['array'], required: false }, '{"a":1}')).toMatchObject({ problem: expect.stringMatching(/parameters takes a JSON array/) });
    expect(coerceOptionValue({ name: 'filter', types: ['object'], required: false }, '{"a":1}')).toEqual({ value: { a: 1 } });
    expect(coerceOptionValue({ name: 'statement', types: ['string'], required: true }, 'true')).toEqual({ value: 'true' });
    expect(coerceOptionValue({ name: 'value', types: ['string', 'number', 'boolean', 'null'], required: false }, '7')).toEqual({ value: 7 });
  });
});

describe('the whole set of options', () => {
  test('--set values join the --options file, typed', async () => {
    const options = await buildTriggerOptions('databricks', 'Databricks', { statement: 'SELECT 1' }, ['rowLimit=5', 'parameters=[{"name":"d","value":"2026-01-01","type":"DATE"}]']);
    expect(options).toEqual({ statement: 'SELECT 1', rowLimit: 5, parameters: [{ name: 'd', value: '2026-01-01', type: 'DATE' }] });
  });

  test('an unknown option is refused with the nearest one and the list', async () => {
    await expect(buildTriggerOptions('hightouch', 'Hightouch', {}, ['fullResynk=true'])).rejects.toThrow(
      'Hightouch has no trigger option "fullResynk". Did you mean "fullResync"? Its options: fullResync (a boolean (true or false)).',
    );
  });

  test("a value the schema's own rules refuse (rowLimit must be positive, statement is required) is refused before anything starts", async () => {
    await expect(buildTriggerOptions('databricks', 'Databricks', { statement: 'SELECT 1' }, ['rowLimit=0'])).rejects.toThrow(/Invalid Databricks trigger options \(nothing was triggered\):\n {2}rowLimit: /);
    await expect(buildTriggerOptions('databricks', 'Databricks', {}, ['rowLimit=3'])).rejects.toThrow(/statement: /);
  });
});
