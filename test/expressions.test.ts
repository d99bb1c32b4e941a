import { describe, expect, it } from '@jest/globals';
import { checkExpressionText, evaluateFeel, ExpressionError, isExpression, platformForm, resolve } from '../server/expressions/feel.js';

describe('FEEL expressions', () => {
  it('evaluates conditions and values over instance variables', () => {
    expect(resolve('${votesFor > present / 2}', { votesFor: 11, present: 20 })).toBe(true);
    expect(resolve('${votesFor > present / 2}', { votesFor: 10, present: 20 })).toBe(false);
    expect(resolve('${count(loopOutput[decision = "approve"]) >= 2}', { loopOutput: [{ decision: 'approve' }, { decision: 'reject' }, { decision: 'approve' }] })).toBe(true);
    expect(resolve('P1Y', {})).toBe('P1Y');
  });

  it('reads Camunda 8 expressions (=FEEL) like Camunda 7 ones (${FEEL}), and writes the platform form', () => {
    expect(resolve('= votesFor > present / 2', { votesFor: 11, present: 20 })).toBe(true);
    expect(resolve('=some r in risks satisfies r = "red"', { risks: ['green', 'red'] })).toBe(true);
    expect(isExpression('=approved')).toBe(true);
    expect(isExpression('approved')).toBe(false);
    expect(checkExpressionText('= if x then')).toMatch(/语法错误/);
    expect(checkExpressionText('=')).toBe('表达式为空');
    expect(platformForm('= not(approved)')).toBe('${not(approved)}');
    expect(platformForm('${approved}')).toBe('${approved}');
    expect(platformForm('P1Y')).toBe('P1Y');
  });

  it('refuses JavaScript operators that feelin would otherwise tolerate', () => {
    expect(checkExpressionText('${decision == "approve"}')).toMatch(/==/);
    expect(checkExpressionText('${a && b}')).toMatch(/&&/);
    expect(checkExpressionText('${a || b}')).toMatch(/\|\|/);
    expect(checkExpressionText('${!approved}')).toMatch(/!/);
    expect(checkExpressionText('${decision != "approve"}')).toBeNull();
    expect(checkExpressionText('${note = "a==b"}')).toBeNull();
  });

  it('refuses expressions that could hang the server', () => {
    expect(checkExpressionText('${for i in 1..100000000 return i}')).toMatch(/范围过大/);
    expect(checkExpressionText('${function(x) x}')).toMatch(/函数/);
    expect(checkExpressionText(`\${${'a + '.repeat(1000)}a}`)).toMatch(/过长/);
    expect(() => evaluateFeel('for i in 1..100000000 return i', {})).toThrow(ExpressionError);
  });

  it('never exposes prototype keys of variables to the evaluator', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}');
    expect(resolve('${x + 1}', hostile)).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
