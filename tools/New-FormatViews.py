import re
path='/work/wt-cmdlets/module/ConductorTools.format.ps1xml'
old=open(path).read()
keep={}
for m in re.finditer(r'    <View>\s*<Name>([^<]+)</Name>.*?</View>\n', old, re.S):
    keep[m.group(1)]=m.group(0)

def esc(x): return x.replace('&','&amp;').replace('<','&lt;').replace('>','&gt;')
def item(v):
    if v.startswith('$') or ' ' in v or '(' in v: return f'<ScriptBlock>{esc(v)}</ScriptBlock>'
    return f'<PropertyName>{v}</PropertyName>'
def table(name, type_, cols):
    h=[];i=[]
    for c in cols:
        label, value, width = c[0], c[1], c[2] if len(c)>2 else None
        align = c[3] if len(c)>3 else None
        w=f'<Width>{width}</Width>' if width else ''
        a=f'<Alignment>{align}</Alignment>' if align else ''
        h.append(f'          <TableColumnHeader><Label>{label}</Label>{w}{a}</TableColumnHeader>')
        i.append(f'              <TableColumnItem>{item(value)}</TableColumnItem>')
    return f'''    <View>
      <Name>{name}</Name>
      <ViewSelectedBy><TypeName>{type_}</TypeName></ViewSelectedBy>
      <TableControl>
        <TableHeaders>
{chr(10).join(h)}
        </TableHeaders>
        <TableRowEntries>
          <TableRowEntry>
            <TableColumnItems>
{chr(10).join(i)}
            </TableColumnItems>
          </TableRowEntry>
        </TableRowEntries>
      </TableControl>
    </View>
'''
def lst(name, type_, items):
    li=[]
    for label, value in items:
        li.append(f'              <ListItem><Label>{label}</Label>{item(value)}</ListItem>')
    return f'''    <View>
      <Name>{name}</Name>
      <ViewSelectedBy><TypeName>{type_}</TypeName></ViewSelectedBy>
      <ListControl>
        <ListEntries>
          <ListEntry>
            <ListItems>
{chr(10).join(li)}
            </ListItems>
          </ListEntry>
        </ListEntries>
      </ListControl>
    </View>
'''
T="[ConductorTools.Model.ConductorTime]"
def short(p): return f"if ($_.{p}) {{ $_.{p}.ToLocalTime().ToString('MM-dd HH:mm:ss') }}"
def shorter(p): return f"if ($_.{p}) {{ $_.{p}.ToLocalTime().ToString('MM-dd HH:mm') }}"
def full(p): return f"if ($_.{p}) {{ $_.{p}.ToLocalTime().ToString('yyyy-MM-dd HH:mm:ss zzz') }}"
def js(p): return f"[ConductorTools.Model.ConductorJson]::ToCompactText($_.{p})"
views=[]
views.append(keep['ConductorTools.Model.TaskDef'].replace('<Name>ConductorTools.Model.TaskDef</Name>','<Name>ConductorTools.Model.TaskDef</Name>') if False else table('ConductorTools.Model.TaskDef','ConductorTools.Model.TaskDef',[
    ('Name','Name',None),('Retries','RetryCount',7,'Right'),('RetryLogic','RetryLogic',19),('Delay','RetryDelaySeconds',5,'Right'),
    ('Timeout','TimeoutSeconds',7,'Right'),('Response','ResponseTimeoutSeconds',8,'Right'),('TimeoutPolicy','TimeoutPolicy',13)]))
views.append(lst('ConductorTools.Model.TaskDef.List','ConductorTools.Model.TaskDef',[
    ('Name','Name'),('Description','Description'),('RetryCount','RetryCount'),('RetryLogic','RetryLogic'),('RetryDelaySeconds','RetryDelaySeconds'),
    ('TimeoutSeconds','TimeoutSeconds'),('ResponseTimeoutSeconds','ResponseTimeoutSeconds'),('TimeoutPolicy','TimeoutPolicy'),
    ('PollTimeoutSeconds','PollTimeoutSeconds'),('ConcurrentExecLimit','ConcurrentExecLimit'),
    ('RateLimit',"if ($_.RateLimitPerFrequency) { '{0} per {1} s' -f $_.RateLimitPerFrequency, $_.RateLimitFrequencyInSeconds }"),
    ('InputKeys',"$_.InputKeys -join ', '"),('OutputKeys',"$_.OutputKeys -join ', '"),('InputTemplate',js('InputTemplate')),
    ('OwnerEmail','OwnerEmail'),('CreateTime',full('CreateTime')),('UpdateTime',full('UpdateTime'))]))
views.append(table('ConductorTools.Model.WorkflowDef','ConductorTools.Model.WorkflowDef',[
    ('Name','Name',None),('Version','Version',7,'Right'),('Tasks','$_.Tasks.Count',5,'Right'),('Description','Description',None)]))
wfcols=[('Name','WorkflowName',20),('Status','Status',10),('Started',shorter('StartTime'),11),('WorkflowId','WorkflowId',36),('Tasks','$_.Tasks.Count',5,'Right'),('Reason','ReasonForIncompletion',None)]
views.append(table('ConductorTools.Model.Workflow','ConductorTools.Model.Workflow',wfcols))
views.append(lst('ConductorTools.Model.Workflow.List','ConductorTools.Model.Workflow',[
    ('WorkflowName','WorkflowName'),('Version','WorkflowVersion'),('WorkflowId','WorkflowId'),('Status','Status'),('CorrelationId','CorrelationId'),
    ('StartTime',full('StartTime')),('EndTime',full('EndTime')),
    ('Duration',"if ($_.StartTime) { $end = if ($_.EndTime) { $_.EndTime } else { [DateTimeOffset]::UtcNow }; '{0:N1} s' -f ($end - $_.StartTime).TotalSeconds }"),
    ('Input',js('Input')),('Output',js('Output')),('Variables',js('Variables')),
    ('Tasks',"($_.Tasks | ForEach-Object { '{0} {1}' -f $_.ReferenceTaskName, $_.Status }) -join ', '"),
    ('ReasonForIncompletion','ReasonForIncompletion'),('FailedTasks',"$_.FailedReferenceTaskNames -join ', '"),
    ('ParentWorkflowId','ParentWorkflowId'),('Priority','Priority')]))
views.append(table('ConductorTools.Model.WorkflowSummary','ConductorTools.Model.WorkflowSummary',[
    ('Name','WorkflowType',20),('Status','Status',10),('Started',shorter('StartTime'),11),('WorkflowId','WorkflowId',36),('Ver','Version',3,'Right'),('CorrelationId','CorrelationId',None)]))
views.append(lst('ConductorTools.Model.WorkflowSummary.List','ConductorTools.Model.WorkflowSummary',[
    ('WorkflowType','WorkflowType'),('Version','Version'),('WorkflowId','WorkflowId'),('Status','Status'),('CorrelationId','CorrelationId'),
    ('StartTime',full('StartTime')),('EndTime',full('EndTime')),('ExecutionTime',"if ($_.ExecutionTime) { '{0:N1} s' -f ($_.ExecutionTime / 1000) }"),
    ('Input','Input'),('Output','Output'),('ReasonForIncompletion','ReasonForIncompletion'),('FailedTasks','FailedReferenceTaskNames')]))
views.append(table('ConductorTools.Model.ConductorTask','ConductorTools.Model.ConductorTask',[
    ('Seq','Seq',3,'Right'),('Reference','ReferenceTaskName',22),('Type','TaskType',20),('Status','Status',12),('Try','RetryCount',3,'Right'),
    ('Started',short('StartTime'),14),('TaskId','TaskId',None)]))
views.append(lst('ConductorTools.Model.ConductorTask.List','ConductorTools.Model.ConductorTask',[
    ('ReferenceTaskName','ReferenceTaskName'),('TaskType','TaskType'),('TaskDefName','TaskDefName'),('Status','Status'),('TaskId','TaskId'),
    ('WorkflowId','WorkflowInstanceId'),('Seq','Seq'),('RetryCount','RetryCount'),('PollCount','PollCount'),('WorkerId','WorkerId'),
    ('ScheduledTime',full('ScheduledTime')),('StartTime',full('StartTime')),('EndTime',full('EndTime')),
    ('Input',js('InputData')),('Output',js('OutputData')),('ReasonForIncompletion','ReasonForIncompletion'),('CallbackAfterSeconds','CallbackAfterSeconds')]))
for k in ['ConductorTools.Model.TaskResult','ConductorTools.Connections.ConductorConnection','ConductorTools.TaskQueue']:
    views.append(keep[k])
out='''<?xml version="1.0" encoding="utf-8"?>
<!-- Views for the objects ConductorTools cmdlets write: tables that read at 80 columns (fixed widths, names take the rest,
     wider windows show the trailing columns), list views without the wire-level noise, times in local time, nested maps as
     compact JSON. Checked by rendering real objects in tests/Pester/Cmdlets.Tests.ps1. -->
<Configuration>
  <ViewDefinitions>
'''+''.join(views)+'''  </ViewDefinitions>
</Configuration>
'''
open(path,'w').write(out)
