import { collections } from '../../server/db/collections.js';
import type { Database } from '../../server/db/connect.js';
import type { ManualClock } from '../../server/engine/clock.js';
import type { Runtime } from '../../server/runtime/runtime.js';
import { testApp, type TestApp } from '../support/app.js';
import { linearProcess } from '../support/bpmn.js';

/**
 * The small inline process the web tests drive: a start form, a step with every field type (and a policy source,
 * a due date and a rule), an approval step with 通过/不通过/退回修改, then the end.
 */


const required = '<camunda:validation><camunda:constraint name="required" /></camunda:validation>';

export const WEB_PROCESS_KEY = 'web_review';

export const webProcessXml = linearProcess(WEB_PROCESS_KEY, '社区议事测试流程', [
  {
    id: 'start',
    event: true,
    xml: `<bpmn:startEvent id="start" name="提出议题"><bpmn:extensionElements><camunda:formData>
        <camunda:formField id="topic" label="议题名称" type="string">${required}</camunda:formField>
      </camunda:formData></bpmn:extensionElements><!--flows--></bpmn:startEvent>`,
  },
  {
    id: 'fill',
    xml: `<bpmn:userTask id="fill" name="填写议事记录" camunda:candidateGroups="street-office" camunda:dueDate="P1D">
      <bpmn:documentation>《城乡社区协商议事规则》第五条
议事会议应当有过半数成员到会，记录到会人数和表决结果。</bpmn:documentation>
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="topicShown" label="议题" type="string" defaultValue="\${topic}">
          <camunda:validation><camunda:constraint name="readonly" /></camunda:validation>
        </camunda:formField>
        <camunda:formField id="attendees" label="到会人数" type="long">
          <camunda:properties><camunda:property id="help" value="按签到表填写" /><camunda:property id="source" value="《议事规则》第五条" /></camunda:properties>
          <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="min" config="1" /><camunda:constraint name="max" config="500" /></camunda:validation>
        </camunda:formField>
        <camunda:formField id="meetingDate" label="会议日期" type="date">${required}</camunda:formField>
        <camunda:formField id="summary" label="会议纪要" type="string">
          <camunda:properties><camunda:property id="widget" value="textarea" /></camunda:properties>
          <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="minlength" config="4" /></camunda:validation>
        </camunda:formField>
        <camunda:formField id="publicized" label="已在社区公开栏张贴" type="boolean" />
        <camunda:formField id="category" label="议题类别" type="enum">
          <camunda:value id="env" name="环境整治" /><camunda:value id="facility" name="公共设施" />
        </camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <!--flows-->
    </bpmn:userTask>`,
  },
  {
    id: 'sign',
    xml: `<bpmn:userTask id="sign" name="党组织审核" camunda:candidateGroups="party-committee">
      <bpmn:documentation>《关于加强城乡社区协商的意见》二(3)
协商结果须经社区党组织审核。</bpmn:documentation>
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="decision" label="审核结论" type="enum">${required}
          <camunda:value id="approve" name="通过" /><camunda:value id="reject" name="不通过" /><camunda:value id="return" name="退回修改" />
        </camunda:formField>
        <camunda:formField id="opinion" label="审核意见" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <!--flows-->
    </bpmn:userTask>`,
  },
  { id: 'end', event: true, xml: '<bpmn:endEvent id="end" name="结束"><!--flows--></bpmn:endEvent>' },
]);

export type WebFixture = TestApp;

export async function webFixture(database: Database): Promise<WebFixture> {
  const fixture = await testApp(database, { at: new Date('2026-03-01T01:00:00Z'), http: { loginRateLimit: { windowMs: 60_000, limit: 1000 } } });
  await fixture.runtime.deploy(webProcessXml, null);
  return fixture;
}

/** A published notice, written directly (the notice services are not part of this fixture). */
export async function insertNotice(database: Database, runtime: Runtime, instanceId: string, clock: ManualClock): Promise<string> {
  const id = `${instanceId}:notice`;
  const now = clock.now();
  await collections(database.db).notices.insertOne({
    _id: id,
    instanceId,
    processKey: WEB_PROCESS_KEY,
    businessKey: 'YS-2026-001',
    template: 'resolution',
    title: '关于加装电梯议题的协商结果公示',
    kind: '协商结果',
    html: '<p>经居民议事会协商，同意在 3 号楼加装电梯。</p><p>公示期内如有异议，请向社区居委会反映。</p>',
    days: 5,
    workingDays: true,
    publishedAt: now,
    endAt: new Date(now.getTime() + 7 * 86400_000),
    elementId: null,
  });
  void runtime;
  return id;
}
