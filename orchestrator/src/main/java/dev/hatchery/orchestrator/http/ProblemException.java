package dev.hatchery.orchestrator.http;

/** Thrown while handling a request to answer with a problem document instead of the normal response. */
final class ProblemException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final transient Problem problem;

    ProblemException(final Problem problem)
    {
        super(problem.toString(), null, false, false);
        this.problem = problem;
    }

    Problem problem()
    {
        return problem;
    }
}
